"""One deadline per request for every database wait: a statement the server cancels in time, a wait in PgBouncer's
queue that the client ends, each a 503 that says what ran out, with ``Retry-After`` and, for a browser's
request, the CORS headers (what API Gateway's own timeout answer lacks); and the connection usable afterwards.

The budgets here are 1 s; a request is allowed 10 s (ten times it) and the database's socket timeout is 15 s,
so only the deadline can end these requests in time.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from devtools import postgres
from devtools.lambda_kit.transport import LambdaTransport
from devtools.net import running_server
from devtools.serve import build_local_app
from tests.support.app_state import Backend, settings_from, use_database
from tests.support.auth import bearer
from tests.support.jwks import frontend_token
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import build_engine

pytestmark = pytest.mark.reliability

BUDGET_SECONDS = 1.0
ALLOWED_SECONDS = 10 * BUDGET_SECONDS
SLOW_SOCKET = {"DATABASE_TIMEOUT_SECONDS": "15"}
# The Lambda client's functions have this timeout: their budget is what is left less 3 s, about 1 s.
LAMBDA_TIMEOUT_SECONDS = 4.0
STATEMENT_TIMEOUT = {
    "detail": "The database took too long to answer; please retry shortly.",
    "code": "database_statement_timeout",
}
DEADLINE_EXCEEDED = {
    "detail": "The database did not answer in time; please retry shortly.",
    "code": "database_deadline_exceeded",
}
BROWSER_ORIGIN = "http://localhost:3000"


@contextmanager
def api_client(kind: str) -> Iterator[httpx.Client]:
    """In-process with ``REQUEST_DEADLINE_SECONDS`` = 1, or through the Lambda handlers whose invocation leaves
    about 1 s once the margin is kept."""
    if kind == "asgi":
        from starlette.testclient import TestClient

        with (
            settings_from(REQUEST_DEADLINE_SECONDS=str(BUDGET_SECONDS), **SLOW_SOCKET),
            TestClient(build_local_app(get_settings()), base_url="http://testserver") as client,
        ):
            yield client
    else:
        transport = LambdaTransport(timeout_seconds=LAMBDA_TIMEOUT_SECONDS)
        with (
            settings_from(**SLOW_SOCKET),
            httpx.Client(transport=transport, base_url="https://api") as client,
        ):
            yield client


@contextmanager
def row_locked(direct_url: str, task_id: int) -> Iterator[None]:
    """Another transaction holds the task's row lock until the block ends."""
    engine = build_engine(direct_url, keep_connections=False)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT id FROM tasks WHERE id = :id FOR UPDATE"), {"id": task_id})
            yield
            holder.rollback()
    finally:
        engine.dispose()


def elapsed_of(
    client: httpx.Client, method: str, url: str, **options: object
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.request(method, url, **options)  # type: ignore[arg-type]
    return response, time.monotonic() - started


@pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True)
@pytest.mark.parametrize("kind", ["asgi", "lambda"])
def test_a_statement_that_would_outlast_the_deadline_is_cancelled_by_the_server_in_time(
    database: Backend, kind: str
) -> None:
    auth = bearer(frontend_token(sub=uuid.uuid4().hex))
    with api_client(kind) as client:
        created = client.post("/api/tasks", headers=auth, json={"title": "Locked"})
        assert created.status_code == 201, created.text
        task = f"/api/tasks/{created.json()['id']}"
        with row_locked(database.direct_url, created.json()["id"]):
            response, elapsed = elapsed_of(client, "PATCH", task, headers=auth, json={"title": "Waits"})
        assert (response.status_code, response.json()) == (503, STATEMENT_TIMEOUT)
        assert response.headers["retry-after"] == "5"
        assert elapsed < ALLOWED_SECONDS
        # The server cancelled the statement: the connection goes on, and the lock is gone now.
        after = client.patch(task, headers=auth, json={"title": "Written"})
        assert (after.status_code, after.json()["title"]) == (200, "Written")


# --- PgBouncer with one server connection, held by someone else ----------------------------------------------


@pytest.fixture(scope="module")
def narrow_bouncer(postgres_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a PgBouncer with a pool of one server connection in front of the test database."""
    with postgres.running_pgbouncer(
        tmp_path_factory.mktemp("narrow-pgbouncer"), settings={"default_pool_size": "1"}
    ) as bouncer:
        yield bouncer.url(postgres_database)


@pytest.fixture
def held_pool(narrow_bouncer: str) -> Iterator[Engine]:
    """An engine on the narrow PgBouncer, to hold its only server connection with."""
    engine = build_engine(narrow_bouncer, keep_connections=False)
    yield engine
    engine.dispose()


@contextmanager
def pool_taken(engine: Engine) -> Iterator[None]:
    with engine.connect() as holder:
        holder.execute(text("SELECT 1"))  # a transaction is open: the server connection is this client's
        yield
        holder.rollback()


def test_a_wait_in_pgbouncers_queue_ends_at_the_deadline_and_the_next_request_recovers(
    narrow_bouncer: str, held_pool: Engine
) -> None:
    auth = bearer(frontend_token(sub=uuid.uuid4().hex))
    use_database(narrow_bouncer)
    with api_client("asgi") as client:
        assert client.get("/api/tasks", headers=auth).status_code == 200
        with pool_taken(held_pool):
            response, elapsed = elapsed_of(client, "GET", "/api/tasks", headers=auth)
        assert (response.status_code, response.json()) == (503, DEADLINE_EXCEEDED)
        assert response.headers["retry-after"] == "5"
        assert elapsed < ALLOWED_SECONDS
        assert client.get("/api/tasks", headers=auth).status_code == 200


@pytest.mark.parametrize("server", ["devtools.local_gateway", "devtools.serve"])
def test_a_browser_gets_the_deadlines_503_with_its_cors_headers(
    server: str, narrow_bouncer: str, held_pool: Engine, tmp_path: Path
) -> None:
    """The local gateway adds CORS as API Gateway does to a function's answer; `make run`'s server through
    Starlette's middleware. Either way the browser can read the 503 (on AWS, API Gateway's own timeout answer
    carries no CORS headers, and the browser would see a network error)."""
    env = {
        **{name: value for name, value in os.environ.items() if name != "ENVIRONMENT"},
        "DATABASE_URL": narrow_bouncer,
        "LOCAL_STATE_DIR": str(tmp_path),
        "ENV_FILE": str(tmp_path / "none.env"),
        "REQUEST_DEADLINE_SECONDS": str(BUDGET_SECONDS),
        **SLOW_SOCKET,
    }
    auth = {**bearer(frontend_token(sub=uuid.uuid4().hex)), "origin": BROWSER_ORIGIN}
    with running_server(server, env) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/api/tasks", headers=auth).status_code == 200
        with pool_taken(held_pool):
            response, elapsed = elapsed_of(client, "GET", "/api/tasks", headers=auth)
    assert (response.status_code, response.json()) == (503, DEADLINE_EXCEEDED)
    assert response.headers["access-control-allow-origin"] == BROWSER_ORIGIN
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()
    assert elapsed < ALLOWED_SECONDS
