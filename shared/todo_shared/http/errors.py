"""The API's one error shape, and the one table that maps domain errors to answers.

Every error is ``{"detail": "<sentence>", "code": "<snake_case>"}``; validation errors add
``errors: [{field, message}]`` and are 400, not FastAPI's 422 (docs/adr/0003-domain-errors.md). Their ``detail``
names the first problem (``title: must not be empty or only whitespace.``): many frontends show ``detail`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from todo_shared import errors
from todo_shared.db.failures import database_failure
from todo_shared.http.conditional import version_tag
from todo_shared.observability import current_request_id, logger
from todo_shared.thirdparty.fastapi import BODY_PARSE_ERROR_DETAIL, routes_in_order

RETRY_AFTER_SECONDS = "5"
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
MAX_ERROR_DESCRIPTION = 300
# The codes of a refused access token (todo_shared.auth.claims.TokenError and its expired kind); matched by
# code so that this module, which every function loads, does not load the auth package.
TOKEN_REFUSED_CODES = frozenset({"invalid_token", "token_expired"})


def _quoted_string_safe(text: str) -> str:
    """``text`` as RFC 6750's error_description allows it: %x20-21 / %x23-5B / %x5D-7E, so no quote,
    backslash, control or non-ASCII character can break out of the header's quoted-string."""
    kept = "".join(char for char in text if " " <= char <= "~" and char not in '"\\')
    return kept[:MAX_ERROR_DESCRIPTION]


def token_challenge(error: errors.AuthenticationFailed) -> dict[str, str]:
    """``Bearer``, plus ``error="invalid_token"`` and why when a presented token was refused (RFC 6750
    section 3); plain ``Bearer`` when no credentials came, or for a password or refresh token. The detail
    names claims and settings, never the token's content."""
    if error.code not in TOKEN_REFUSED_CODES:
        return BEARER_CHALLENGE
    description = _quoted_string_safe(error.detail)
    return {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'}


class ErrorBody(BaseModel):
    detail: str
    code: str


class FieldError(BaseModel):
    field: str
    message: str


class ValidationErrorBody(ErrorBody):
    errors: list[FieldError]


def _retry_after(_error: Any) -> dict[str, str]:
    return {"Retry-After": RETRY_AFTER_SECONDS}


def _keys_retry_after(error: errors.KeysUnavailable) -> dict[str, str]:
    return {"Retry-After": str(error.retry_after_seconds)}


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Callable[[Any], Mapping[str, str]] | None = None


# Every domain error, answered. A subclass not listed here takes its nearest listed base's answer.
ANSWERS: dict[type[errors.DomainError], Answer] = {
    errors.AuthenticationFailed: Answer(401, token_challenge),
    errors.InvalidCredentials: Answer(401, lambda _error: BEARER_CHALLENGE),
    errors.InvalidRefreshToken: Answer(401, lambda _error: BEARER_CHALLENGE),
    errors.RefreshTokenReused: Answer(401, lambda _error: BEARER_CHALLENGE),
    errors.CrossSiteCookie: Answer(403),
    errors.OtherUsersPath: Answer(403),
    errors.TaskNotFound: Answer(404),
    errors.SessionNotFound: Answer(404),
    errors.EmailTaken: Answer(409),
    errors.IdempotencyKeyInUse: Answer(409, lambda _error: {"Retry-After": "1"}),
    errors.IdempotencyKeyReused: Answer(422),
    errors.VersionMismatch: Answer(412, lambda error: {"ETag": version_tag(error.current_version)}),
    errors.TooManyAttempts: Answer(429, lambda error: {"Retry-After": str(error.retry_after_seconds)}),
    errors.TooManySignups: Answer(429, lambda error: {"Retry-After": str(error.retry_after_seconds)}),
    errors.InvalidField: Answer(400),
    errors.KeysUnavailable: Answer(503, _keys_retry_after),
    errors.TaskBusy: Answer(503, _retry_after),
    errors.ConfigurationError: Answer(503, _retry_after),
    errors.DatabaseNotReady: Answer(503, _retry_after),
}


def answer_for(error: errors.DomainError) -> Answer:
    for kind in type(error).__mro__:
        answer = ANSWERS.get(kind)
        if answer is not None:
            return answer
    return Answer(500)


def error_response(
    status_code: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status_code, headers=headers)


def validation_detail(errors_: Sequence[FieldError]) -> str:
    """``<field>: <message>`` of the first problem, the message's first letter in lower case (unless it starts
    a word in capitals, such as JSON)."""
    if not errors_:
        return errors.InvalidField.default_detail
    first = errors_[0]
    message = first.message
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[:1].lower() + message[1:]
    return f"{first.field}: {message}"


def _validation_response(errors_: Sequence[FieldError]) -> JSONResponse:
    return error_response(
        400, "validation_error", validation_detail(errors_), errors=[item.model_dump() for item in errors_]
    )


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


def _code_for_status(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _log(request: Request, error: errors.DomainError) -> None:
    if isinstance(error, errors.AuthenticationFailed):
        # For security monitoring: the reason and the request, never the token.
        logger.info(
            "authentication refused",
            extra={
                "reason": error.reason,
                "path": request.url.path,
                "request_id": current_request_id(),
                **error.context,
            },
        )
    elif isinstance(error, errors.ConfigurationError):
        # One line naming the setting (its message never holds a secret's value), no traceback.
        logger.error(f"configuration error: {error}")
    elif isinstance(error, errors.DatabaseNotReady):
        # One line an operator can act on: what is wrong, and the server's own words (never a password).
        # A passing outage is a warning; a cause someone must fix (credentials, schema, …) is an error.
        log = logger.warning if error.passing else logger.error
        log(f"database unavailable: {error.line}", extra={"code": error.code, "cause": error.cause})


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.DomainError)
    _log(request, error)
    if isinstance(error, errors.InvalidField):
        return _validation_response([FieldError(field=error.field, message=error.message)])
    answer = answer_for(error)
    headers = answer.headers(error) if answer.headers is not None else None
    return error_response(answer.status, error.code, error.detail, headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method of the path's resource: the routes with the path template of the first route that matches.

    Starlette's 405 names only the methods of the first route whose path matched, but FastAPI makes one route
    per method, so ``PUT /api/tasks`` would advertise ``Allow: GET`` alone; RFC 9110 wants them all. And a
    literal path is its own resource: ``/api/tasks/tags`` is matched before ``/api/tasks/{task_id}``, whose
    methods it does not have. Each method is tried on a fresh scope through the routes' public ``matches``.
    """
    base = {
        "type": "http",
        "path": request.scope["path"],
        "root_path": request.scope.get("root_path", ""),
        "headers": [],
        "query_string": b"",
    }
    routes = [route for route in routes_in_order(request.app.router.routes) if isinstance(route, Route)]
    owner = next(
        (
            route.path
            for route in routes
            if any(route.matches({**base, "method": method})[0] is not Match.NONE for method in _METHODS)
        ),
        None,
    )
    return [
        method
        for method in _METHODS
        if any(
            route.path == owner and route.matches({**base, "method": method})[0] is Match.FULL
            for route in routes
        )
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
    if error.status_code == 400 and detail == BODY_PARSE_ERROR_DETAIL:
        # FastAPI's own refusal of a body it cannot decode (e.g. nested too deeply): keep the 400 shape.
        return _validation_response([FieldError(field="body", message="The body could not be parsed.")])
    if error.status_code == 404 and detail == "Not Found":
        detail = "Resource not found."
    elif error.status_code == 405 and detail == "Method Not Allowed":
        detail = "Method not allowed for this resource."
    return error_response(error.status_code, _code_for_status(error.status_code), detail, headers)


_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type"})
NOT_JSON_MESSAGE = "Send the body as JSON, with Content-Type: application/json."


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = field_errors(error.errors())
    if not _is_json(request):
        # FastAPI reads a body without a JSON Content-Type as raw text: say what is missing, not that the
        # JSON object sent is "not an object".
        for item, raw in zip(found, error.errors(), strict=True):
            if item.field == "body" and raw.get("type") in _NOT_AN_OBJECT:
                item.message = NOT_JSON_MESSAGE
    return _validation_response(found)


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    failure = database_failure(error)
    if failure is not None:
        return await _domain_error(request, failure)
    logger.exception("database error")
    return error_response(500, "internal_error", "An unexpected error occurred.")


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
