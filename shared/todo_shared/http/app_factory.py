"""Builds each function's FastAPI app: the same error shape, middleware and OpenAPI for all of them."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from todo_shared.http.errors import register_error_handlers
from todo_shared.http.middleware import RequestContextMiddleware
from todo_shared.http.openapi import APP_RESPONSES, openapi_document

API_TITLE = "Todo API"
API_VERSION = "1.0.0"


def create_app(*routers: APIRouter, title: str = API_TITLE, docs: bool = True) -> FastAPI:
    app = FastAPI(
        title=title,
        version=API_VERSION,
        description="Serverless Todo API: accounts, JWT auth (ours and Better Auth's) and per-user tasks.",
        # FastAPI's own page loads Swagger UI from a CDN: the docs function serves a pinned copy instead.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        responses=APP_RESPONSES,
    )
    app.router.redirect_slashes = False  # the middleware serves "/x/" as "/x" instead
    register_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    for router in routers:
        app.include_router(router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app
