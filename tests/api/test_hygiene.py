"""Hygiene: security headers on every response, SQL-injection-shaped input harmless, a leak guard that bites.

Routes are taken from the combined app's OpenAPI document, so a new route or parameter is covered without
editing this file. Every API test runs on SQLite, PostgreSQL and PgBouncer, in-process and through the
Lambda handlers. That no log line holds a secret is checked for the whole session by the leak guard
(tests/support/leak_guard.py, wired in tests/conftest.py); the first tests here prove that guard can fail.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from devtools.serve import build_local_app
from tests.support.accounts import Account, create_account, direct_engine, insert_tasks
from tests.support.app_state import Backend, use_database
from tests.support.auth import PASSWORD, clear_login_throttle, through_lambda, unique_email
from tests.support.leak_guard import GUARD, LogCollector, SecretRegistry, render_record
from tests.support.logs import capture_logs
from todo_shared.auth.passwords import password_problem
from todo_shared.config.settings import get_settings
from todo_shared.models import Task, User
from todo_shared.observability import logger
from todo_shared.tasks import queries

pytestmark = pytest.mark.reliability

# --- The leak guard can fail ------------------------------------------------------------------------------


def _record(message: str, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("todo-api", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_leak_detector_flags_planted_secrets_in_a_record() -> None:
    registry = SecretRegistry()
    registry.add_secret("planted-password-0042", "a planted password")
    token = (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLXVzZXItMDA0MiJ9.c2lnbmF0dXJlLW9mLXRoZS1wbGFudGVkLXRva2Vu"
    )
    registry.add_token(token, "a planted token")
    registry.add_database_url("postgresql://app:db-pass-0042@db.example.com/app", "a planted URL")
    registry.add_email("Planted.User-0042@Example.com", "a planted address")

    in_message = render_record(_record("login with planted-password-0042"))
    in_extra = render_record(_record("request", headers={"authorization": f"Bearer {token}"}))
    signature_only = render_record(_record("bad signature", signature=token.rsplit(".", 1)[1]))
    in_url = render_record(_record("connecting to postgresql://app:db-pass-0042@db.example.com/app"))
    address_in_extra = render_record(_record("signup refused", email="planted.user-0042@example.com"))
    address_in_sql = render_record(_record("[parameters: ('id', 'planted.user-0042@example.com', None)]"))

    assert registry.find(in_message) == ["a planted password"]
    assert registry.find(in_extra) == ["a planted token"]
    assert registry.find(signature_only) == ["a planted token"]
    assert registry.find(in_url) == ["password of a planted URL"]
    assert registry.find(address_in_extra) == ["a planted address"]
    assert registry.find(address_in_sql) == ["a planted address"]


def test_leak_detector_ignores_text_without_secrets() -> None:
    registry = SecretRegistry()
    registry.add_secret("planted-password-0042", "a planted password")
    registry.add_token(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0xxxxxxxxxxxx.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg", "a token"
    )
    registry.add_secret("short", "too short to be told from ordinary words")
    registry.add_email("planted-0042@example.com", "a planted address")
    # Masked addresses are what the logs are meant to show.
    clean = render_record(_record("login failed", reason="wrong_password", email="p***@example.com"))
    # The header segment is shared by every HS256 token: finding it is not a leak.
    header_only = render_record(_record("token header eyJhbGciOiJIUzI1NiJ9 refused, too short"))
    assert registry.find(clean) == []
    assert registry.find(header_only) == []


def test_session_guard_sees_what_our_logger_and_other_loggers_emit() -> None:
    """The session's collector is attached and renders extras and tracebacks (a fresh marker, not a secret)."""
    assert GUARD.collector in logging.getLogger().handlers
    assert GUARD.collector in logging.getLogger(logger.name).handlers
    marker = f"unregistered-marker-{uuid.uuid4().hex}"
    try:
        raise ValueError(f"{marker}-in-traceback")
    except ValueError:
        logger.exception("planted", extra={"planted": f"{marker}-in-extra"})
    logging.getLogger("some.library").warning("planted %s", f"{marker}-in-args")
    texts = [text for _source, text in GUARD.collector.peek() if marker in text]

    registry = SecretRegistry()
    for where in ("in-traceback", "in-extra", "in-args"):
        registry.add_secret(f"{marker}-{where}", where)
    assert sorted({label for text in texts for label in registry.find(text)}) == [
        "in-args",
        "in-extra",
        "in-traceback",
    ]
    # One rendering per record, though each reaches both the Powertools logger's and the root's handler.
    assert len(texts) == 2


def test_collector_renders_a_record_once_when_attached_twice() -> None:
    collector = LogCollector("todo-api", None)
    record = _record("twice")
    collector.handle(record)
    collector.handle(record)
    assert len(collector.drain()) == 1
    assert collector.drain() == []


# --- Shared: routes from the OpenAPI document, requests, checks ------------------------------------------

LOGOUT = "/api/auth/logout"
LOGOUT_ALL = "/api/auth/logout-all"
REFRESH = "/api/auth/refresh"  # authenticated by its own refresh token (cookie or body), not a bearer token


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.spec.get("parameters", []))

    @property
    def needs_auth(self) -> bool:
        return bool(self.spec.get("security"))

    @property
    def documented(self) -> set[int]:
        return {int(code) for code in self.spec.get("responses", {}) if code.isdigit()}

    @property
    def success(self) -> int:
        return min(code for code in self.documented if 200 <= code < 300)

    @property
    def body_schema(self) -> str | None:
        """The name of the JSON body's model, if the operation takes one."""
        content = self.spec.get("requestBody", {}).get("content", {}).get("application/json", {})
        found = re.search(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(content))
        return found.group(1) if found else None


def _order(operation: Operation) -> tuple[int, str]:
    # Writes that end things last: deletes, then the logouts (they end the token used throughout).
    rank = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}.get(operation.method, 5)
    if operation.path == LOGOUT_ALL:
        rank = 8
    if operation.path == LOGOUT:
        rank = 9
    return rank, operation.path


@cache
def _document() -> dict[str, Any]:
    schema: dict[str, Any] = build_local_app(get_settings()).openapi()
    return schema


def operations() -> list[Operation]:
    found = [
        Operation(method.upper(), path, spec)
        for path, methods in _document()["paths"].items()
        for method, spec in methods.items()
    ]
    return sorted(found, key=_order)


TASK_READ_ONLY_FIELDS = frozenset({"id", "user_id", "created_at", "updated_at", "version"})


def body_fields(schema_name: str) -> list[str]:
    return list(_document()["components"]["schemas"][schema_name].get("properties", {}))


# Valid bodies per request model; a new model fails the tests below until it is given one here.
VALID_BODIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "SignupRequest": lambda _email: {"email": unique_email("hygiene"), "password": PASSWORD, "name": "Hy"},
    "LoginRequest": lambda email: {"email": email, "password": PASSWORD},
    "RefreshRequest": lambda _email: {"refresh_token": "not-a-refresh-token-of-this-api"},
    "PasswordChangeRequest": lambda _email: {
        "current_password": PASSWORD,
        "new_password": "a new passphrase",
    },
    "TaskCreate": lambda _email: {"title": "Valid", "description": "ok", "priority": "low", "due_date": None},
    "TaskUpdate": lambda _email: {"title": "Updated"},
    "TaskCompletion": lambda _email: {"completed": True},
}


def valid_body(operation: Operation, login_email: str) -> dict[str, Any] | None:
    name = operation.body_schema
    if name is None:
        return None
    assert name in VALID_BODIES, f"give {name} ({operation.method} {operation.path}) a valid body"
    return VALID_BODIES[name](login_email)


def url_for(operation: Operation, values: dict[str, str]) -> str:
    path = operation.path
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    return path


def send(
    api: httpx.Client,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    **options: Any,
) -> httpx.Response:
    """One request authenticated only as stated: the clients keep cookies that signup and login set."""
    api.cookies.clear()
    headers = dict(options.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        options["json"] = body
    return api.request(method, url, headers=headers, **options)


def from_api_gateway(api: httpx.Client, response: httpx.Response) -> bool:
    """API Gateway's own answer for a route the template does not declare: not produced by our code."""
    return through_lambda(api) and response.status_code == 404 and response.text == '{"message": "Not Found"}'


@pytest.fixture
def fresh_throttle(api: httpx.Client) -> Iterator[None]:
    """Login counters are per source address and shared by the whole run: start and leave them empty."""
    clear_login_throttle()
    yield
    clear_login_throttle()


# --- Security headers on every response -------------------------------------------------------------------

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-site",
}
API_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cache-control": "no-store",
}
HSTS = "max-age=63072000; includeSubDomains"
DOCS_UI = "/docs"


def header_problems(label: str, response: httpx.Response) -> list[str]:
    expected = {**BASE_HEADERS, **API_HEADERS}
    if response.request.url.path == DOCS_UI:  # a page with its own files: its own policy (test_docs_function)
        expected["content-security-policy"] = response.headers.get("content-security-policy", "")
        if not expected["content-security-policy"].startswith("default-src 'none'; "):
            return [f"{label}: the docs page's policy is {expected['content-security-policy']!r}"]
    if response.request.url.scheme == "https":
        expected["strict-transport-security"] = HSTS
    problems = [
        f"{label} -> {response.status_code}: {name} is {response.headers.get(name)!r}, not {value!r}"
        for name, value in expected.items()
        if response.headers.get(name) != value
    ]
    if response.request.url.scheme != "https" and "strict-transport-security" in response.headers:
        problems.append(f"{label}: HSTS over plain HTTP")
    if not response.headers.get("x-request-id"):
        problems.append(f"{label}: no X-Request-ID")
    return problems


def test_every_route_answers_with_the_security_headers(
    api: httpx.Client, database: Backend, fresh_throttle: None
) -> None:
    signed_up = send(
        api, "POST", "/api/auth/signup", body={"email": unique_email("headers"), "password": PASSWORD}
    )
    assert signed_up.status_code == 201, signed_up.text
    token, user = signed_up.json()["token"], signed_up.json()["user"]
    task = send(api, "POST", "/api/tasks", token=token, body={"title": "Headers"})
    assert task.status_code == 201, task.text
    values = {"user_id": user["id"], "task_id": str(task.json()["id"])}

    problems: list[str] = []
    for credentials in ("no auth", "valid auth"):
        for operation in operations():
            label = f"{operation.method} {operation.path} ({credentials})"
            response = send(
                api,
                operation.method,
                url_for(operation, values),
                token=token if credentials == "valid auth" else None,
                body=valid_body(operation, user["email"]),
            )
            assert response.status_code < 500, f"{label}: {response.status_code} {response.text}"
            assert response.status_code in operation.documented, (
                f"{label}: {response.status_code} undocumented"
            )
            # Without a token protected routes refuse; with one every route is reached (logout comes last).
            # Logout reads the token itself, so the document shows no security scheme for it. Refresh needs
            # a refresh token, which no bearer token stands in for (the body's is not one).
            protected = operation.needs_auth or operation.path == LOGOUT
            expect_refusal = (credentials == "no auth" and protected) or operation.path == REFRESH
            assert (response.status_code == 401) == expect_refusal, (label, response.text)
            problems += header_problems(label, response)
    for path in ("/docs", "/openapi.json"):
        response = send(api, "GET", path)
        if not from_api_gateway(api, response):
            assert response.status_code == 200, path
            problems += header_problems(f"GET {path}", response)
    assert not problems, "\n".join(problems)


def test_error_responses_carry_the_security_headers(api: httpx.Client, database: Backend) -> None:
    owner, other = create_account(database), create_account(database)
    oversized = b'{"title": "' + b"x" * (64 * 1024) + b'"}'
    cases: list[tuple[str, int, str, httpx.Response]] = [
        ("missing task", 404, "task_not_found", send(api, "GET", "/api/tasks/2147483647", token=owner.token)),
        (
            "invalid body",
            400,
            "validation_error",
            send(api, "POST", "/api/tasks", token=owner.token, body={}),
        ),
        ("no token", 401, "not_authenticated", send(api, "GET", "/api/tasks")),
        ("bad token", 401, "invalid_token", send(api, "GET", "/api/tasks", token="not-a-token")),
        (
            "another user's path",
            403,
            "forbidden",
            send(api, "GET", f"/api/{other.user_id}/tasks", token=owner.token),
        ),
        (
            "body over 64 KiB",
            413,
            "payload_too_large",
            send(
                api,
                "POST",
                "/api/tasks",
                token=owner.token,
                content=oversized,
                headers={"content-type": "application/json"},
            ),
        ),
    ]
    unknown = send(api, "GET", "/api/no-such-route")
    wrong_method = send(api, "POST", "/health")
    if through_lambda(api):
        # API Gateway answers both itself; nothing of ours runs.
        assert from_api_gateway(api, unknown)
        assert from_api_gateway(api, wrong_method)
    else:
        cases += [
            ("unknown route", 404, "not_found", unknown),
            ("wrong method", 405, "method_not_allowed", wrong_method),
        ]

    problems: list[str] = []
    for label, status, code, response in cases:
        assert (response.status_code, response.json().get("code")) == (status, code), (label, response.text)
        problems += header_problems(label, response)
    assert not problems, "\n".join(problems)


def test_database_outage_503_carries_the_security_headers(api: httpx.Client, database: Backend) -> None:
    use_database("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    try:
        response = send(api, "GET", "/health/ready")
    finally:
        use_database(database.url)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "detail": "The database is unavailable; please retry shortly.",
        "code": "database_unreachable",
    }
    assert header_problems("database down", response) == []


def test_unexpected_error_is_a_generic_500_with_the_security_headers(
    api: httpx.Client, database: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault deep in a real route, in-process and through the Lambda handler: generic body, headers kept.

    (tests/unit/http/test_app_factory.py proves the same body on a small app; here it is the real tasks function.)
    """
    account = create_account(database)

    def broken_query(**_kwargs: Any) -> Any:
        raise RuntimeError("SELECT * FROM tasks WHERE user_id = 'x' -- File \"tasks_queries.py\"")

    monkeypatch.setattr(queries, "list_tasks", broken_query)
    response = send(api, "GET", "/api/tasks", token=account.token)
    assert response.status_code == 500
    assert response.json() == {"detail": "An unexpected error occurred.", "code": "internal_error"}
    assert header_problems("unhandled error", response) == []


@contextmanager
def refusing_inserts(database: Backend, table: str, column: str, value: str) -> Iterator[None]:
    """A trigger that makes the database itself refuse inserting ``value``: a real fault, no mock."""
    name = f"refuse_{uuid.uuid4().hex[:12]}"
    engine = direct_engine(database.direct_url)
    with engine.begin() as connection:
        if database.name == "sqlite":
            connection.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.{column} = '{value}' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    f"IF NEW.{column} = '{value}' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; "
                    "RETURN NEW; END $$"
                )
            )
            connection.execute(
                text(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
            )
    try:
        yield
    finally:
        with engine.begin() as connection:
            if database.name == "sqlite":
                connection.execute(text(f"DROP TRIGGER {name}"))
            else:
                connection.execute(text(f"DROP TRIGGER {name} ON {table}"))
                connection.execute(text(f"DROP FUNCTION {name}()"))


def test_database_error_in_a_route_is_a_generic_500_logged_with_its_cause(
    api: httpx.Client, database: Backend
) -> None:
    account = create_account(database)
    title = f"refused-{uuid.uuid4().hex}"
    with refusing_inserts(database, "tasks", "title", title), capture_logs() as logs:
        response = send(api, "POST", "/api/tasks", token=account.token, body={"title": title})
    assert response.status_code == 500
    assert response.json() == {"detail": "An unexpected error occurred.", "code": "internal_error"}
    assert header_problems("database error", response) == []
    errors = [record for record in logs.records if record["level"] == "ERROR"]
    assert [record["message"] for record in errors] == ["database error"]
    assert "refused by a test trigger" in errors[0]["exception"]  # the cause is in the log, not the body


def test_database_error_logs_no_bound_values(api: httpx.Client, database: Backend) -> None:
    if database.name == "sqlite":
        pytest.skip(
            "SQLite reports a trigger's refusal as a constraint violation: signup answers 409, logs none"
        )
    email = unique_email("refused")
    with refusing_inserts(database, "users", "email", email), capture_logs() as logs:
        response = send(api, "POST", "/api/auth/signup", body={"email": email, "password": PASSWORD})
    assert response.status_code == 500
    assert "database error" in logs.text
    assert email not in logs.text
    assert "$2b$" not in logs.text  # bcrypt hashes


# --- SQL-injection-shaped values in every parameter -------------------------------------------------------

PAYLOADS = [
    "' OR 1=1 --",
    "1; DROP TABLE tasks; --",
    "%' OR '%'='",
    "1 UNION SELECT password_hash FROM users",
    '" OR ""="',
    "\\'); DELETE FROM users; --",
]
# What a response may never show: a traceback, a driver or ORM name, SQL of our own (the payload removed).
_INTERNALS_ANY_CASE = ("traceback", 'file "', "sqlalchemy", "psycopg", "pg8000", "sqlite", "syntax error")
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|DROP|UNION|FROM|WHERE)\b")
# Free text stored as given; every other body field refuses such a value.
LITERAL_FIELDS = {"title", "description", "name"}
QUERY_FIELDS = {"status", "sort", "order", "limit", "offset"}
BODY_FIELDS = {"email", "password", "name", "title", "description", "priority", "due_date", "completed"}


def internals_in(response: httpx.Response, payload: str) -> list[str]:
    text = response.text.replace(json.dumps(payload)[1:-1], "").replace(payload, "")
    found = [marker for marker in _INTERNALS_ANY_CASE if marker in text.lower()]
    found += _SQL.findall(text)
    return found


@dataclass(frozen=True)
class Snapshot:
    users: int
    tasks: int
    victim_tasks: list[tuple[Any, ...]]


def snapshot(database: Backend, victim: Account) -> Snapshot:
    with Session(direct_engine(database.direct_url)) as session:
        users = session.exec(select(func.count()).select_from(User)).one()
        tasks = session.exec(select(func.count()).select_from(Task)).one()
        rows = session.exec(
            select(Task).where(col(Task.user_id) == victim.user_id).order_by(col(Task.id))
        ).all()
        victim_tasks = [
            (row.id, row.title, row.description, row.completed, row.priority, row.due_date, row.updated_at)
            for row in rows
        ]
    return Snapshot(users, tasks, victim_tasks)


def stored(database: Backend, model: type[Task] | type[User], key: Any) -> Any:
    with Session(direct_engine(database.direct_url)) as session:
        return session.get(model, key)


@pytest.fixture
def victim(database: Backend) -> Account:
    """Another user whose data every injection attempt must leave exactly as it was."""
    account = create_account(database)
    insert_tasks(database, [Task(user_id=account.user_id, title=payload) for payload in PAYLOADS])
    return account


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_path_query_and_header_parameters_is_harmless(
    api: httpx.Client, database: Backend, victim: Account, payload: str
) -> None:
    attacker = create_account(database)
    # The decoy would match too if the payload's % or _ acted as LIKE wildcards.
    decoy = payload.replace("%", "zz").replace("_", "zz")
    matching, target, _decoy = insert_tasks(
        database,
        [
            Task(user_id=attacker.user_id, title=payload),
            Task(user_id=attacker.user_id, title="Target"),
            Task(user_id=attacker.user_id, title=decoy if decoy != payload else "Plain"),
        ],
    )
    valid = {"user_id": attacker.user_id, "task_id": str(target.id)}
    before = snapshot(database, victim)

    covered: set[str] = set()
    for operation in operations():
        for parameter in operation.parameters:
            name, where = parameter["name"], parameter["in"]
            covered.add(name)
            label = f"{operation.method} {operation.path} {where} {name}"
            headers = {name: payload} if where == "header" else {}
            response = send(
                api,
                operation.method,
                url_for(operation, {**valid, name: payload} if where == "path" else valid),
                token=attacker.token,
                body=valid_body(operation, attacker.email),
                params={name: payload} if where == "query" else None,
                headers=headers,
            )
            assert response.status_code < 500, (label, response.text)
            assert response.status_code in operation.documented, (label, response.status_code)
            assert internals_in(response, payload) == [], (label, response.text)
            body = response.json()
            if where == "path" and name == "task_id":
                assert (response.status_code, body["code"]) == (404, "task_not_found"), label
            elif where == "path" and name == "user_id":
                assert (response.status_code, body["code"]) == (403, "forbidden"), label
            elif where == "query" and name in QUERY_FIELDS:
                assert (response.status_code, body["code"]) == (400, "validation_error"), label
                assert [error["field"] for error in body["errors"]] == [name], label
            elif where == "query" and name == "q":
                # Matched literally and only among the caller's tasks (the victim has the same titles).
                assert response.status_code == 200, label
                assert [task["id"] for task in body["tasks"]] == [matching.id], label
                assert body["total"] == 1, label
    assert covered >= {"user_id", "task_id", "q", *QUERY_FIELDS}  # the document still has them all

    after = snapshot(database, victim)
    assert after.victim_tasks == before.victim_tasks
    assert after.users == before.users


# Percent-encodings no text column can take: NUL (PostgreSQL refuses it in text with 22021), a byte that is never
# UTF-8, and an overlong encoding of "/" (invalid UTF-8 that naive decoders turn into a slash).
UNDECODABLE = {"nul": "%00", "nul-inside": "a%00b", "ff": "%FF", "overlong-slash": "%C0%AF"}


@pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True)
@pytest.mark.parametrize("raw", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_nul_and_invalid_utf8_in_any_path_or_query_parameter_is_never_a_500(
    api: httpx.Client, database: Backend, raw: str
) -> None:
    """Every path and query parameter of every operation of the document, sent percent-encoded as is."""
    caller = create_account(database)
    (task,) = insert_tasks(database, [Task(user_id=caller.user_id, title="target")])
    valid = {"user_id": caller.user_id, "task_id": str(task.id), "session_id": "0" * 32}
    swept: set[str] = set()
    for operation in operations():
        if operation.path in (LOGOUT, LOGOUT_ALL):
            continue  # they end the caller's token; they take no parameter anyway
        for parameter in operation.parameters:
            name, where = parameter["name"], parameter["in"]
            if where not in ("path", "query"):
                continue
            swept.add(f"{where} {name}")
            path = operation.path
            for key, value in valid.items():
                path = path.replace(
                    f"{{{key}}}", raw if (where, key) == ("path", name) else quote(value, safe="")
                )
            url = f"{path}?{name}={raw}" if where == "query" else path
            response = send(
                api,
                operation.method,
                url,
                token=caller.token,
                body=valid_body(operation, caller.email),
            )
            label = f"{operation.method} {url}"
            assert response.status_code < 500, (label, response.text)
            assert internals_in(response, raw) == [], (label, response.text)
    assert {"path user_id", "path task_id", "path session_id", "query q"} <= swept


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_body_fields_is_stored_literally_or_refused(
    api: httpx.Client, database: Backend, victim: Account, payload: str, fresh_throttle: None
) -> None:
    attacker = create_account(database)
    login_email = unique_email("injected")
    assert (
        send(api, "POST", "/api/auth/signup", body={"email": login_email, "password": PASSWORD}).status_code
        == 201
    )
    (target,) = insert_tasks(database, [Task(user_id=attacker.user_id, title="Target")])
    valid = {"user_id": attacker.user_id, "task_id": str(target.id)}
    before = snapshot(database, victim)

    signups = 0
    covered: set[str] = set()
    for operation in operations():
        if operation.body_schema is None:
            continue
        for field in body_fields(operation.body_schema):
            label = f"{operation.method} {operation.path} body {field}"
            body = valid_body(operation, login_email)
            assert body is not None
            body[field] = payload
            response = send(
                api,
                operation.method,
                url_for(operation, valid),
                token=attacker.token if operation.needs_auth else None,
                body=body,
            )
            covered.add(field)
            assert response.status_code < 500, (label, response.text)
            assert response.status_code in operation.documented, (label, response.status_code)
            assert internals_in(response, payload) == [], (label, response.text)
            answer = response.json()
            if operation.body_schema == "LoginRequest" and field != "refresh_token_in_body":
                assert (response.status_code, answer["code"]) == (401, "invalid_credentials"), label
            elif operation.body_schema == "RefreshRequest":
                assert (response.status_code, answer["code"]) == (401, "invalid_refresh_token"), label
            elif operation.body_schema == "PasswordChangeRequest" and (
                field == "current_password" or password_problem(payload) is None
            ):
                # The attacker's account has no password: no current password is right.
                assert (response.status_code, answer["code"]) == (401, "invalid_credentials"), label
            elif operation.body_schema == "SignupRequest" and field in ("password", "name"):
                assert response.status_code == 201, (label, response.text)
                signups += 1
                user = stored(database, User, answer["user"]["id"])
                if field == "name":
                    assert answer["user"]["name"] == payload
                    assert user.name == payload
            elif field in TASK_READ_ONLY_FIELDS:  # accepted as sent back by a frontend, never applied
                assert response.status_code == operation.success, (label, response.text)
                assert answer[field] != payload, label
            elif field in LITERAL_FIELDS:
                assert response.status_code == operation.success, (label, response.text)
                assert answer[field] == payload, label
                assert getattr(stored(database, Task, answer["id"]), field) == payload, label
            else:
                assert (response.status_code, answer["code"]) == (400, "validation_error"), (label, answer)
                assert [error["field"] for error in answer["errors"]] == [field], label
    assert covered >= BODY_FIELDS  # the document still has them all

    after = snapshot(database, victim)
    assert after.victim_tasks == before.victim_tasks
    assert after.users == before.users + signups


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_in_credentials_is_a_plain_401(api: httpx.Client, database: Backend, payload: str) -> None:
    for label, response in (
        ("bearer", send(api, "GET", "/api/auth/verify", token=payload)),
        ("cookie", send(api, "GET", "/api/tasks", headers={"Cookie": f"todo_auth={quote(payload)}"})),
        (
            "logout cookie",
            send(api, "POST", "/api/auth/logout", headers={"Cookie": f"todo_auth={quote(payload)}"}),
        ),
    ):
        assert response.status_code in (200, 401), (label, response.text)  # logout: 200 for any token
        assert internals_in(response, payload) == [], (label, response.text)
        if label != "logout cookie":
            assert response.status_code == 401, label
            assert response.json()["code"] == "invalid_token", label


def test_quote_bearing_email_is_an_ordinary_address(
    api: httpx.Client, database: Backend, fresh_throttle: None
) -> None:
    """Quotes, ``=`` and ``-`` are valid in an address's local part; such an address round-trips exactly."""
    email = f"x'or'1'='1--{uuid.uuid4().hex[:8]}@example.com"
    signed_up = send(api, "POST", "/api/auth/signup", body={"email": email, "password": PASSWORD})
    assert signed_up.status_code == 201, signed_up.text
    assert signed_up.json()["user"]["email"] == email
    assert stored(database, User, signed_up.json()["user"]["id"]).email == email
    logged_in = send(api, "POST", "/api/auth/login", body={"email": email, "password": PASSWORD})
    assert logged_in.status_code == 200
    assert logged_in.json()["user"]["id"] == signed_up.json()["user"]["id"]
    # The same local part without the quotes is someone else entirely.
    other = send(api, "POST", "/api/auth/login", body={"email": email.replace("'", ""), "password": PASSWORD})
    assert (other.status_code, other.json()["code"]) == (401, "invalid_credentials")
