"""Builds each function's FastAPI app: the same error shape, middleware and OpenAPI for all of them."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from todo_shared.errors import ERROR_RESPONSES, ErrorBody, ValidationErrorBody, register_error_handlers
from todo_shared.middleware import MAX_BODY_BYTES, RequestContextMiddleware

API_TITLE = "Todo API"
API_VERSION = "1.0.0"


# What _document_errors adds to the operations' answers (statuses are strings there, as in the document).
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
# Headers that always come with a status (checked by the schema fuzzing tests).
_HEADERS_BY_STATUS: dict[str, dict[str, Any]] = {
    "401": {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with: always `Bearer`.",
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    },
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
_BODY_TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES} bytes (`payload_too_large`)."
_NOT_AUTHENTICATED = (
    "No token (`not_authenticated`), or a token that is invalid, expired, revoked or of a deleted user "
    "(`invalid_token`)."
)
_CROSS_SITE = "A state-changing request with the auth cookie from a foreign Origin (`cross_site_request`)."
_ACCOUNT_CONFLICT = (
    "A Better Auth user seen for the first time whose email belongs to another account (`account_conflict`)."
)
_SAFE_METHODS = frozenset({"get", "head", "options"})


def _error_content(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}


def _declare(responses: dict[str, Any], status: str, description: str, *, another_cause: bool = True) -> None:
    """Declare an error answer. If the route declares the status already, its description is kept, and this
    one is added to it when it is ``another_cause`` of that status."""
    existing = responses.get(status)
    if existing is None:
        responses[status] = {"description": description, "content": _error_content("ErrorBody")}
    elif another_cause and description not in existing.get("description", ""):
        existing["description"] = f"{existing.get('description', '').rstrip()} Or: {description}"


def _document_errors(operation: dict[str, Any], method: str) -> None:
    """Every error an operation can answer, so that clients (and the fuzzing tests) can rely on the document.

    - every request passes the body-size limit (middleware), so any may get a 413;
    - an operation behind the bearer scheme may also get 401, a 409 when a first-seen Better Auth user's email
      is taken, and, when it changes state, 403 from the cookie's CSRF guard.
    Every error answer is declared with its JSON body, and the headers that always come with 401, 429 and
    503 wherever those statuses are.
    """
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's validation status; this API answers 400 (design.md)
    _declare(responses, "413", _BODY_TOO_LARGE)
    if operation.get("security"):
        _declare(responses, "401", _NOT_AUTHENTICATED, another_cause=False)
        _declare(responses, "409", _ACCOUNT_CONFLICT)
        if method not in _SAFE_METHODS:
            _declare(responses, "403", _CROSS_SITE)
    for status, response in responses.items():
        if status[:1] in ("4", "5") and "content" not in response:  # every error has a JSON body (errors.py)
            response["content"] = _error_content("ValidationErrorBody" if status == "400" else "ErrorBody")
        response.setdefault("headers", {}).update(copy.deepcopy(_HEADERS_BY_STATUS.get(status, {})))
        if not response["headers"]:
            del response["headers"]
    operation["responses"] = dict(sorted(responses.items()))


def _openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the API's error answers (400 not 422; see ``_document_errors``)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationErrorBody):
        components.setdefault(
            model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
        )
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            _document_errors(operation, method)
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
    app.openapi = lambda: _openapi_document(app)  # type: ignore[method-assign]
    return app
