"""The API's one error shape and the handlers that produce it.

Every error is ``{"detail": "<sentence>", "code": "<snake_case>"}``; validation errors add
``errors: [{field, message}]`` and are 400, not FastAPI's 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from todo_shared.observability import logger
from todo_shared.settings import SettingsError

RETRY_AFTER_SECONDS = "5"
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class ErrorBody(BaseModel):
    detail: str
    code: str


class FieldError(BaseModel):
    field: str
    message: str


class ValidationErrorBody(ErrorBody):
    errors: list[FieldError]


class ApiError(Exception):
    """An expected failure with its status, stable code and human sentence."""

    def __init__(
        self, status_code: int, code: str, detail: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        if status_code == 401:
            self.headers.update(BEARER_CHALLENGE)


class FieldValidationError(ApiError):
    """A 400 with per-field messages, for checks that run after request parsing."""

    def __init__(self, errors: Sequence[FieldError], detail: str = "The request is not valid.") -> None:
        super().__init__(400, "validation_error", detail)
        self.errors = list(errors)


def error_response(
    status_code: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status_code, headers=headers)


def _field_name(location: Sequence[Any], error_type: str | None = None) -> str:
    if error_type == "json_invalid":  # its location ends in a character position, not a field
        return "body"
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


# Pydantic's wording for the errors a client most often meets, in the API's voice.
_MESSAGES_BY_TYPE = {
    "json_invalid": "The body is not valid JSON.",
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "model_attributes_type": "Must be a JSON object.",
    "dict_type": "Must be a JSON object.",
}


def _message(error: Mapping[str, Any]) -> str:
    known = _MESSAGES_BY_TYPE.get(str(error.get("type")))
    if known is not None:
        return known
    return str(error.get("msg", "Invalid value.")).removeprefix("Value error, ")


def field_errors(raw_errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    return [
        FieldError(field=_field_name(error.get("loc", ()), error.get("type")), message=_message(error))
        for error in raw_errors
    ]


def database_unavailable(error: BaseException) -> bool:
    """True for connection-level failures (retryable), false for errors in our own SQL."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(error, (InterfaceError, OperationalError)):
        return True
    # Server-side SQLSTATE: 08 connection exception, 53 insufficient resources, 57P operator intervention.
    details = error.orig.args[0] if error.orig is not None and error.orig.args else None
    sqlstate = str(details.get("C", "")) if isinstance(details, dict) else ""
    return sqlstate.startswith(("08", "53", "57P"))


def _code_for_status(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    if isinstance(error, FieldValidationError):
        return error_response(
            400, error.code, error.detail, errors=[item.model_dump() for item in error.errors]
        )
    return error_response(error.status_code, error.code, error.detail, error.headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method the requested path accepts, over all the app's routes.

    Starlette's 405 names only the methods of the first route whose path matched, but FastAPI makes one route
    per method, so ``PUT /api/tasks`` would advertise ``Allow: GET`` alone; RFC 9110 wants them all. Each
    method is tried on a fresh scope through the routes' public ``matches``, whatever their nesting.
    """
    base = {
        "type": "http",
        "path": request.scope["path"],
        "root_path": request.scope.get("root_path", ""),
        "headers": [],
        "query_string": b"",
    }
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(route.matches({**base, "method": method})[0] is Match.FULL for route in routes)
    ]


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 401:
        headers.update(BEARER_CHALLENGE)
    if error.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            headers["Allow"] = ", ".join(methods)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    if error.status_code == 400 and detail == "There was an error parsing the body":
        # FastAPI's own refusal of a body it cannot decode (e.g. nested too deeply): keep the 400 shape.
        body_error = FieldError(field="body", message="The body could not be parsed.")
        return error_response(
            400, "validation_error", "The request is not valid.", errors=[body_error.model_dump()]
        )
    if error.status_code == 404 and detail == "Not Found":
        detail = "Resource not found."
    elif error.status_code == 405 and detail == "Method Not Allowed":
        detail = "Method not allowed for this resource."
    return error_response(error.status_code, _code_for_status(error.status_code), detail, headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = field_errors(error.errors())
    return error_response(
        400,
        "validation_error",
        "The request is not valid.",
        errors=[item.model_dump() for item in errors],
    )


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    if database_unavailable(error):
        logger.warning("database unavailable", extra={"error_type": type(error).__name__})
        return error_response(
            503,
            "database_unavailable",
            "The database is unavailable; please retry shortly.",
            {"Retry-After": RETRY_AFTER_SECONDS},
        )
    logger.exception("database error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


async def _settings_error(_request: Request, error: Exception) -> JSONResponse:
    # One line naming the setting (its message never holds a secret's value), no traceback.
    logger.error(f"configuration error: {error}")
    return error_response(
        503,
        "service_misconfigured",
        "The service is not configured correctly; please retry later.",
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(SettingsError, _settings_error)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ValidationErrorBody, "description": "The request is not valid."},
    500: {"model": ErrorBody, "description": "Unexpected server fault."},
    503: {
        "model": ErrorBody,
        "description": "Temporarily unavailable: the database cannot be reached (`database_unavailable`), the "
        "service's configuration cannot be read (`service_misconfigured`), or a Better Auth token's signing "
        "keys cannot be fetched (`auth_unavailable`). Retry after `Retry-After` seconds.",
    },
}
