"""Schema fuzzing: every operation of the whole API, generated from its own OpenAPI document by schemathesis.

Each operation gets a bounded, deterministic set of requests (explicit examples, schemathesis' coverage cases
and ``MAX_EXAMPLES`` generated ones, valid and invalid), sent to the local app (all functions' routes, as
``make run`` serves them) as a real user with a real token. Every response must keep the documented contract:
no 5xx, a documented status code, the documented content type, headers and body schema; schema-invalid
requests must be refused with a 4xx, authenticated operations must refuse a missing or bad token, and a 405
must name the allowed methods. Inputs it found that once broke this are kept as plain tests in
``test_fuzz_regressions.py``.

Steering, so that the fuzzer reaches more than the 404/403/400 answers random values give:
- ``user_id`` path parameters that were generated as valid values are mostly replaced by the token's own user
  id, and valid ``task_id`` values by a task of that user created for the request;
- valid login bodies are often replaced by the real account's credentials, and valid signup bodies by a new
  unique email and a good password, so the 200/201 answers are checked too;
- the throttle is cleared before each login and signup, so the fuzzer exercises credential checks and
  signups rather than collecting 429s (the throttle has its own tests).
Only values generated as *valid* are replaced, with other valid values: a case meant to be invalid stays
invalid, so the negative-data check stays honest. The choices hash the generated values, so a run is
reproducible.

Auth: the token goes through schemathesis' OpenAPI-aware auth (the ``HTTPBearer`` scheme), so operations that
declare the scheme get it, and its ``ignored_auth`` check also probes them without it. Logout must never see
that token (it would revoke it for the rest of the run): every logout case gets a throwaway token of the same
user instead, minted for that request, so the real revocation path runs and answers 200.
The auth cookie and its CSRF origin guard cannot cause false failures: each request is made by a fresh client
that keeps no cookies, and the schema declares no cookie or ``Origin`` parameter for the fuzzer to send.
"""

from __future__ import annotations

import os
import uuid
import zlib
from typing import Any

import pytest
import schemathesis
from schemathesis import checks
from schemathesis import engine as schemathesis_engine
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.engine import events as engine_events
from schemathesis.generation.meta import ComponentInfo
from sqlmodel import Session

from devtools.serve import build_local_app
from tests.support import leak_guard
from tests.support.accounts import direct_engine
from tests.support.app_state import TEST_SECRET, Backend, use_database
from tests.support.auth import clear_login_throttle
from todo_shared.auth.passwords import hash_password
from todo_shared.auth.tokens import issue_token
from todo_shared.config.settings import get_settings
from todo_shared.http.cookies import AUTH_COOKIE
from todo_shared.http.middleware import MAX_BODY_BYTES
from todo_shared.models import LOCAL_ISSUER, Task, User, utc_now

pytestmark = pytest.mark.reliability

FuzzCase = schemathesis.Case[Any]

# Per operation, for the generated (fuzzing) phase. FUZZ_MAX_EXAMPLES=500 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
# SQLite always; PostgreSQL too (a few seconds more). PgBouncer adds nothing the fuzzer could find here that
# PostgreSQL does not, and has its own suite.
FUZZ_BACKENDS = ("sqlite", "postgres")

FUZZ_USER_ID = str(uuid.uuid4())
FUZZ_EMAIL = f"fuzz-{uuid.uuid4().hex}@example.com"
FUZZ_PASSWORD = "fuzz-password-123"
LOGOUT_PATH = "/api/auth/logout"
LOGIN_PATH = "/api/auth/login"
SIGNUP_PATH = "/api/auth/signup"
SIGNUP_PASSWORD = "fuzz-signup-password-1"


def _token() -> str:
    token = issue_token(user_id=FUZZ_USER_ID, email=FUZZ_EMAIL, secret=TEST_SECRET, expires_minutes=60).token
    leak_guard.register_token(token, "a token the fuzzer sends")
    return token


FUZZ_TOKEN = _token()
leak_guard.register_secret(FUZZ_PASSWORD, "the fuzzing account's password")
leak_guard.register_secret(SIGNUP_PASSWORD, "the password of the fuzzer's signups")

CONFIG_SETTINGS: dict[str, Any] = {
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,  # Hypothesis' derandomize: the same cases every run
        "database": "none",  # no example database written under the repository
    },
    "auth": {"openapi": {"HTTPBearer": {"bearer": FUZZ_TOKEN}}},
    "checks": {
        # The request schemas cannot say everything the API checks (titles are trimmed before their
        # length is checked, passwords are limited to 72 UTF-8 bytes, emails must look like emails), so a
        # schema-valid request may rightly get a 400. Schema-*invalid* requests are still checked.
        "positive_data_acceptance": {"enabled": False},
    },
}
CONFIG = schemathesis.Config.from_dict(CONFIG_SETTINGS)

# The app and the document a client sees (/openapi.json), built once; settings hold nothing per database.
APP = build_local_app(get_settings())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
# The same document run as `schemathesis run` runs it (its engine, no steering), for the warnings it gives.
# Stateful testing is left out: the warnings below are judged on the examples, coverage and fuzzing phases.
ENGINE_CONFIG = schemathesis.Config.from_dict(
    {
        **CONFIG_SETTINGS,
        "phases": {"stateful": {"enabled": False}},
        "warnings": {"fail-on": ["validation_mismatch"]},
    }
)
engine_schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=ENGINE_CONFIG)


def after_call(context: schemathesis.HookContext, case: FuzzCase, response: schemathesis.Response) -> None:
    """Tokens that signup and login hand out must not show up in any log either (tests/support/leak_guard)."""
    if case.operation.path in (LOGIN_PATH, SIGNUP_PATH) and response.status_code in (200, 201):
        body = response.json()
        if isinstance(body, dict):
            leak_guard.register_token(
                body.get("token"), f"a token {case.operation.path} issued to the fuzzer"
            )


schema.hook(after_call)
engine_schema.hook(after_call)
# The backend the engine run's requests go to (set by its test only: the hook below is global in schemathesis,
# before_call has no per-schema scope, and does nothing otherwise).
ENGINE_BACKEND: dict[str, Backend] = {}


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: FuzzCase, kwargs: dict[str, Any]) -> None:
    """The engine run's steering: real user and task ids in paths, so that task writes reach validation rather
    than a 403 or 404; bodies stay as generated (a real signup body would hide a schema that allows too much)."""
    backend = ENGINE_BACKEND.get("backend")
    if backend is not None:
        _steer(case, backend, bodies=False)


@pytest.fixture(scope="module")
def fuzz_backend(database: Backend) -> Backend:
    """The fuzzing user (with a password, so login can succeed) in this backend's database."""
    now = utc_now()
    with Session(direct_engine(database.direct_url)) as session:
        if session.get(User, FUZZ_USER_ID) is None:
            session.add(
                User(
                    id=FUZZ_USER_ID,
                    issuer=LOCAL_ISSUER,
                    subject=FUZZ_USER_ID,
                    email=FUZZ_EMAIL,
                    password_hash=hash_password(FUZZ_PASSWORD, 4),
                    created_at=now,
                    updated_at=now,
                )
            )
            session.commit()
    return database


def _pick(value: Any, one_in: int) -> bool:
    """A reproducible coin flip from a generated value."""
    return zlib.crc32(repr(value).encode()) % one_in != 0


def _generated_valid(case: FuzzCase, location: str) -> bool:
    """Whether ``case``'s values at ``location`` (path, body) were generated as schema-valid."""
    meta = case.meta
    if meta is None:  # an explicit example from the schema: valid by construction
        return True
    info: ComponentInfo | None = next(
        (value for key, value in meta.components.items() if key.value == location), None
    )
    return meta.generation.mode.is_positive and (info is None or info.mode.is_positive)


def _new_task(backend: Backend) -> int:
    with Session(direct_engine(backend.direct_url), expire_on_commit=False) as session:
        task = Task(user_id=FUZZ_USER_ID, title="fuzzing target")
        session.add(task)
        session.commit()
        assert task.id is not None
        return task.id


def _steer(case: FuzzCase, backend: Backend, *, bodies: bool = True) -> None:
    """Point valid generated values at real resources now and then (see the module docstring); with ``bodies``
    false, only the path parameters (and logout's token)."""
    path = case.operation.path
    if case.path_parameters and _generated_valid(case, "path"):
        if "user_id" in case.path_parameters and _pick(case.path_parameters["user_id"], 4):
            case.path_parameters["user_id"] = FUZZ_USER_ID
        if "task_id" in case.path_parameters and _pick(case.path_parameters["task_id"], 2):
            case.path_parameters["task_id"] = _new_task(backend)
    if bodies and isinstance(case.body, dict) and _generated_valid(case, "body"):
        if path == LOGIN_PATH and _pick(case.body, 2):
            case.body = {"email": FUZZ_EMAIL.upper(), "password": FUZZ_PASSWORD}
        elif path == SIGNUP_PATH and _pick(case.body, 2):
            case.body = {
                **case.body,
                "email": f"new-{uuid.uuid4().hex}@example.com",
                "password": SIGNUP_PASSWORD,
            }
    if path in (LOGIN_PATH, SIGNUP_PATH):
        clear_login_throttle()
    if path == LOGOUT_PATH:
        # Never the run's token: logout would revoke it. A missing token stays missing (a 401 case).
        current = case.headers.get("Authorization")
        if current is None and not case.operation.definition.raw.get("security"):
            current = f"Bearer {FUZZ_TOKEN}"  # logout declares no scheme, so schemathesis adds none
        if current == f"Bearer {FUZZ_TOKEN}":
            case.headers["Authorization"] = f"Bearer {_token()}"


@pytest.mark.parametrize("database", FUZZ_BACKENDS, indirect=True)
@schema.parametrize()
def test_operation_keeps_its_documented_contract(case: FuzzCase, fuzz_backend: Backend) -> None:
    _steer(case, fuzz_backend)
    case.call_and_validate()


# --- The warnings `schemathesis run` gives ----------------------------------------------------------------


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_operation_mostly_rejects_data_its_schema_allows(fuzz_backend: Backend) -> None:
    """Schemathesis' "validation mismatch" warning ("mostly rejected generated data due to validation errors,
    indicating schema constraints don't match API validation"): an operation that answered every schema-valid
    case of a phase with a 4xx, at least a tenth of them for the data itself (400, not 401/403/404/409/429).

    The warning is not a pytest outcome: `schemathesis run` computes it from its engine's events. So this runs
    the engine over the same app and document and feeds its events to the CLI's own execution context, as the
    CLI does. Path parameters are steered as in the test above (``before_call``), so that task writes are
    judged on their bodies and headers rather than answered 403 or 404 (which do not count); bodies are not.
    """
    ENGINE_BACKEND["backend"] = fuzz_backend
    context = ExecutionContext(
        config=engine_schema.config, find_operation_by_label=engine_schema.find_operation_by_label
    )
    scenarios = 0
    try:
        for event in schemathesis_engine.from_schema(engine_schema).execute():
            context.on_event(event)
            if isinstance(event, engine_events.ScenarioFinished) and event.is_test_scenario:
                scenarios += 1
    finally:
        ENGINE_BACKEND.clear()
    warned = {kind: labels for kind, labels in context.warnings.as_labels().items() if labels}
    assert scenarios >= 3 * len(OPERATIONS)  # examples, coverage and fuzzing reached every operation
    assert warned.get("validation_mismatch", []) == [], warned
    assert not context.warning_collector.fails_the_run()


# --- Answers random requests do not reach, checked against the same document ---------------------------

# Not `not_a_server_error`: the 503 below is the documented answer.
CONFORMANCE = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def _call_and_conform(case: FuzzCase, **kwargs: Any) -> schemathesis.Response:
    response = case.call(**kwargs)
    case.validate_response(response, checks=CONFORMANCE)
    return response


def _code(response: schemathesis.Response) -> tuple[int, object]:
    body = response.json()
    assert isinstance(body, dict)
    return response.status_code, body.get("code")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_body_over_the_limit_is_a_documented_413(fuzz_backend: Backend) -> None:
    case = schema["/api/tasks"]["POST"].Case(
        headers={"Authorization": f"Bearer {FUZZ_TOKEN}"},
        body={"title": "x" * MAX_BODY_BYTES},
        media_type="application/json",
    )
    assert _code(_call_and_conform(case)) == (413, "payload_too_large")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_cookie_from_a_foreign_origin_is_a_documented_403(fuzz_backend: Backend) -> None:
    case = schema["/api/tasks"]["POST"].Case(
        headers={"Origin": "https://evil.example"}, body={"title": "csrf"}, media_type="application/json"
    )
    response = _call_and_conform(case, cookies={AUTH_COOKIE: FUZZ_TOKEN})
    assert _code(response) == (403, "cross_site_request")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_throttled_login_is_a_documented_429_with_retry_after(fuzz_backend: Backend) -> None:
    case = schema[LOGIN_PATH]["POST"].Case(
        body={"email": FUZZ_EMAIL, "password": "not-the-password"}, media_type="application/json"
    )
    clear_login_throttle()
    try:
        answers = [_code(_call_and_conform(case)) for _ in range(6)]  # 5 per email and address
    finally:
        clear_login_throttle()
    assert answers == [(401, "invalid_credentials")] * 5 + [(429, "too_many_attempts")]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_unreachable_database_is_a_documented_503_with_retry_after(fuzz_backend: Backend) -> None:
    case = schema["/api/tasks"]["GET"].Case(headers={"Authorization": f"Bearer {FUZZ_TOKEN}"})
    use_database("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    try:
        response = _call_and_conform(case)
    finally:
        use_database(fuzz_backend.url)
    assert _code(response) == (503, "database_unreachable")


# --- The document itself: what the checks above rely on ---------------------------------------------------

DOCUMENT: dict[str, Any] = APP.openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]


def test_every_error_answer_is_documented_with_its_json_body() -> None:
    wrong = {
        f"{label} {status}": response.get("content")
        for label, operation in OPERATIONS
        for status, response in operation["responses"].items()
        if status[0] in "45"
        and response.get("content")
        != {
            "application/json": {
                "schema": {
                    "$ref": f"#/components/schemas/{'ValidationErrorBody' if status == '400' else 'ErrorBody'}"
                }
            }
        }
    }
    assert wrong == {}
    # Validation is 400, never FastAPI's 422; the one 422 is a create's Idempotency-Key sent with another body.
    unprocessable = {
        label: operation["responses"]["422"]["description"]
        for label, operation in OPERATIONS
        if "422" in operation["responses"]
    }
    assert set(unprocessable) == {"POST /api/tasks", "POST /api/{user_id}/tasks"}
    assert all("idempotency_key_reused" in description for description in unprocessable.values())


@pytest.mark.parametrize(
    ("status", "header"), [("401", "WWW-Authenticate"), ("429", "Retry-After"), ("503", "Retry-After")]
)
def test_headers_that_come_with_a_status_are_documented_as_required(status: str, header: str) -> None:
    declaring = [
        (label, operation["responses"][status])
        for label, operation in OPERATIONS
        if status in operation["responses"]
    ]
    assert declaring
    assert [
        label
        for label, response in declaring
        if not response.get("headers", {}).get(header, {}).get("required")
    ] == []


def test_token_operations_document_every_refusal() -> None:
    def expected(label: str) -> set[str]:
        # 403: the cookie's CSRF guard, on state-changing requests only.
        return {"401", "413"} if label.startswith("GET ") else {"401", "403", "413"}

    missing = {
        label: sorted(expected(label) - set(operation["responses"]))
        for label, operation in OPERATIONS
        if operation.get("security")
    }
    assert len(missing) >= 15  # the 7 task operations under both path styles, and verify
    assert {label: statuses for label, statuses in missing.items() if statuses} == {}
    assert [label for label, operation in OPERATIONS if "413" not in operation["responses"]] == []
