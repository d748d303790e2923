"""Builds each function's FastAPI app: the same error shape, middleware and OpenAPI for all of them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from todo_shared.errors import ERROR_RESPONSES, ErrorBody, ValidationErrorBody, register_error_handlers
from todo_shared.middleware import RequestContextMiddleware

API_TITLE = "Todo API"
API_VERSION = "1.0.0"


def _openapi_with_400(app: FastAPI) -> dict[str, Any]:
    """FastAPI documents request validation as 422; this API answers 400 (design.md)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationErrorBody):
        components.setdefault(
            model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
        )
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def create_app(*routers: APIRouter, title: str = API_TITLE, docs: bool = True) -> FastAPI:
    app = FastAPI(
        title=title,
        version=API_VERSION,
        description="Serverless Todo API: accounts, JWT auth (ours and Better Auth's) and per-user tasks.",
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        responses=ERROR_RESPONSES,
    )
    register_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    for router in routers:
        app.include_router(router)
    app.openapi = lambda: _openapi_with_400(app)  # type: ignore[method-assign]
    return app
