"""The OpenAPI document: every error answer declared, from one set of descriptions.

Routes name the domain errors they can answer (``error_responses``); ``openapi_document`` adds those every
operation can meet (413, and 401/403 behind the bearer scheme) and the headers that come with them.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from todo_shared import errors
from todo_shared.http.errors import ANSWERS, ErrorBody, ValidationErrorBody
from todo_shared.http.middleware import MAX_BODY_BYTES

# What each domain error means to a client. One description per error, used wherever it can be answered.
DESCRIPTIONS: dict[type[errors.DomainError], str] = {
    errors.AuthenticationFailed: (
        "No token (`not_authenticated`), a token past its expiry (`token_expired`: refresh or sign in again), "
        "or one that is invalid, revoked or of a deleted user (`invalid_token`)."
    ),
    errors.InvalidCredentials: "Invalid email or password.",
    errors.InvalidRefreshToken: (
        "No refresh token, or one that is unknown or whose session ended or expired (`invalid_refresh_token`): "
        "sign in again."
    ),
    errors.RefreshTokenReused: (
        "A refresh token used before, presented again after the grace window (`refresh_token_reused`): the "
        "whole session was ended."
    ),
    errors.SessionNotFound: "No such active session among yours (also for someone else's).",
    errors.CrossSiteCookie: (
        "A state-changing request with the auth cookie from a foreign Origin (`cross_site_request`)."
    ),
    errors.OtherUsersPath: "The path names another user.",
    errors.TaskNotFound: "No such task among yours (also for someone else's).",
    errors.EmailTaken: "The email is already registered.",
    errors.VersionMismatch: (
        "If-Match names no current version of the task; nothing was written. The ETag header holds the "
        "current version."
    ),
    errors.TooManyAttempts: (
        "Too many failed or simultaneous attempts for this email or address (see Retry-After)."
    ),
    errors.TooManySignups: "Too many signup attempts from this address (see Retry-After).",
    errors.IdempotencyKeyInUse: (
        "A request with this Idempotency-Key is still running (`idempotency_key_in_use`): retry after "
        "`Retry-After` seconds to get its answer."
    ),
    errors.IdempotencyKeyReused: (
        "This Idempotency-Key came before with another body (`idempotency_key_reused`): nothing was created."
    ),
}

# Declared by the app for every operation.
APP_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {
        "model": ValidationErrorBody,
        "description": "The request is not valid: `detail` names the first problem (`field: message`), "
        "`errors` lists each.",
    },
    500: {"model": ErrorBody, "description": "Unexpected server fault."},
    503: {
        "model": ErrorBody,
        "description": "Temporarily unavailable: the database cannot serve (`database_unavailable`, or a cause "
        f"an operator must fix: {', '.join(f'`{code}`' for code in errors.database_causes())}), did not answer "
        "within the request's time (`database_deadline_exceeded`, `database_statement_timeout`; a write may then "
        "have happened: retry a create with its Idempotency-Key), the service's configuration cannot be read "
        "(`service_misconfigured`), or a Better Auth token's signing keys cannot be fetched (`auth_unavailable`). "
        "Retry after `Retry-After` seconds.",
    },
}


def error_responses(
    *kinds: type[errors.DomainError], headers: dict[int, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses`` for the domain errors it can answer (several at one status share it)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for kind in kinds:
        status = ANSWERS[kind].status
        entry = responses.get(status)
        if entry is None:
            responses[status] = {"model": ErrorBody, "description": DESCRIPTIONS[kind]}
        else:
            entry["description"] = f"{entry['description']} Or: {DESCRIPTIONS[kind]}"
    for status, extra in (headers or {}).items():
        responses.setdefault(status, {})["headers"] = extra
    return responses


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
            "description": (
                "The scheme to authenticate with, `Bearer`; for a refused token also "
                '`error="invalid_token"` and `error_description`, the `detail` (RFC 6750).'
            ),
            "required": True,
            "schema": {"type": "string", "pattern": "^Bearer"},
        }
    },
    "429": _RETRY_AFTER,
    "503": _RETRY_AFTER,
}
_BODY_TOO_LARGE = f"The request body is larger than {MAX_BODY_BYTES} bytes (`payload_too_large`)."
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


def _parameters_never_null(operation: dict[str, Any]) -> None:
    """A path, query or header parameter is a string on the wire: it is sent or left out, never ``null``. A
    parameter that is optional in Python (``str | None = None``) has ``anyOf: [X, null]`` in FastAPI's schema;
    the document says ``X`` (generated clients would otherwise let ``q: null`` through, sent as the text "null")."""
    for parameter in operation.get("parameters", []):
        schema: dict[str, Any] = parameter.get("schema", {})
        branches = schema.get("anyOf")
        if branches is None:
            continue
        others = [branch for branch in branches if branch != {"type": "null"}]
        if len(others) == 1 and len(others) < len(branches):
            del schema["anyOf"]
            parameter["schema"] = {**others[0], **schema}


def _document_errors(operation: dict[str, Any], method: str) -> None:
    """Every error an operation can answer, so that clients (and the fuzzing tests) can rely on the document.

    - every request passes the body-size limit (middleware), so any may get a 413;
    - an operation behind the bearer scheme may also get 401 and, when it changes state, 403 from the
      cookie's CSRF guard.
    Every error answer is declared with its JSON body, and the headers that always come with 401, 429 and
    503 wherever those statuses are.
    """
    responses: dict[str, Any] = operation.setdefault("responses", {})
    # FastAPI's validation status; this API answers 400 (docs/adr/0003-domain-errors.md). A 422 of the API's
    # own (an Idempotency-Key sent with another body) stays.
    if "HTTPValidationError" in str(responses.get("422", "")):
        del responses["422"]
    _declare(responses, "413", _BODY_TOO_LARGE)
    if operation.get("security"):
        _declare(responses, "401", DESCRIPTIONS[errors.AuthenticationFailed], another_cause=False)
        if method not in _SAFE_METHODS:
            _declare(responses, "403", DESCRIPTIONS[errors.CrossSiteCookie])
    for status, response in responses.items():
        if status[:1] in ("4", "5") and "content" not in response:  # every error has a JSON body (errors.py)
            response["content"] = _error_content("ValidationErrorBody" if status == "400" else "ErrorBody")
        response.setdefault("headers", {}).update(copy.deepcopy(_HEADERS_BY_STATUS.get(status, {})))
        if not response["headers"]:
            del response["headers"]
    operation["responses"] = dict(sorted(responses.items()))


def openapi_document(app: FastAPI) -> dict[str, Any]:
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
            _parameters_never_null(operation)
            _document_errors(operation, method)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    app.openapi_schema = schema
    return schema
