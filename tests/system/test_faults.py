"""Faults, each against the real thing: a PostgreSQL that stops, a PgBouncer that restarts, killed server
connections, a Better Auth JWKS endpoint that is down or hangs, and secret stores that fail at cold start.

The database faults use a private PostgreSQL cluster (devtools/private_postgres.py) on a free port, with
its own PgBouncer in front: the shared server on 5432 is never stopped. The app's role logs in with a
password, so the checks that no log line holds a secret cover a real ``DATABASE_URL``.

What every fault must give: a JSON answer in the API's shape (503 with ``Retry-After`` for what is
temporary, including a Better Auth token whose keys cannot be fetched), never a 500, within the configured timeout, and
recovery by itself once the fault is gone (no restart of the app or the container).
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from devtools import postgres, private_postgres
from devtools.lambda_kit.transport import LambdaTransport
from devtools.migrate import migrate
from devtools.serve import build_local_app
from tests.support.app_state import TEST_SECRET, require_private_stack, reset_app_state
from tests.support.auth import PASSWORD, bearer, signup, token_of, unique_email
from tests.support.dead_endpoints import refused_origin, unresponsive_endpoint
from tests.support.jwks import better_auth_claims, better_auth_enabled, make_key
from tests.support.logs import capture_logs
from todo_shared.auth import better_auth
from todo_shared.config import secrets as secret_store
from todo_shared.config.secrets import clear_secret_cache
from todo_shared.config.settings import get_settings

pytestmark = pytest.mark.reliability

CLIENTS = ("asgi", "lambda")
BACKENDS = ("postgres", "pgbouncer")

APP_PASSWORD = f"fault-db-{secrets.token_hex(12)}"
DB_TIMEOUT_SECONDS = 2.0
# Budgets guard against hangs, never measure speed (a loaded 2-core machine must not fail them):
# - an answer that waits for no timeout is expected in well under 0.5 s: 10x that;
# - an answer that waits for one timeout must come before a second one could have passed (2x the timeout);
#   the work besides the wait is milliseconds, so the slack is far more than 10x it.
QUICK_SECONDS = 5.0
# How long PgBouncer waits before it tries a server that refused it again (its default is 15 s).
PGBOUNCER_LOGIN_RETRY_SECONDS = 1
JWKS_TIMEOUT_SECONDS = 1.0

DATABASE_UNAVAILABLE = {
    "detail": "The database is unavailable; please retry shortly.",
    "code": "database_unavailable",
}
# A stopped server: unreachable directly; through PgBouncer (which answers) a passing outage.
DATABASE_DOWN = {
    "postgres": {**DATABASE_UNAVAILABLE, "code": "database_unreachable"},
    "pgbouncer": DATABASE_UNAVAILABLE,
}
SERVICE_MISCONFIGURED = {
    "detail": "The service is not configured correctly; please retry later.",
    "code": "service_misconfigured",
}
AUTH_UNAVAILABLE = {
    "detail": "Sign-in keys cannot be fetched right now; please try again shortly.",
    "code": "auth_unavailable",
}


# --- The private database, its PgBouncer, and the app pointed at them --------------------------------------


@dataclass
class Stack:
    cluster: private_postgres.PrivatePostgres
    bouncer: postgres.PgBouncer

    def url(self, backend: str) -> str:
        return self.cluster.url(port=self.bouncer.port if backend == "pgbouncer" else None)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_private_stack()
    with private_postgres.running_private_postgres(APP_PASSWORD) as cluster:
        migrate(cluster.url())
        with postgres.running_pgbouncer(
            tmp_path_factory.mktemp("fault-pgbouncer"),
            server_host="127.0.0.1",
            server_port=cluster.port,
            users={private_postgres.APP_ROLE: APP_PASSWORD},
            settings={"server_login_retry": str(PGBOUNCER_LOGIN_RETRY_SECONDS)},
        ) as bouncer:
            yield Stack(cluster, bouncer)


@contextmanager
def app_environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for the app; restore them and its state after.

    Restoring matters: the session-wide ``database`` fixture set DATABASE_URL once for other modules' tests.
    """
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    reset_app_state()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_app_state()


@pytest.fixture
def app_url(stack: Stack, backend: str) -> Iterator[str]:
    """The app configured for ``backend`` of the private stack (tests parametrize ``backend``)."""
    if not stack.cluster.running:
        stack.cluster.start()  # a failed test may have left it stopped
    url = stack.url(backend)
    with app_environment({"DATABASE_URL": url, "DATABASE_TIMEOUT_SECONDS": str(DB_TIMEOUT_SECONDS)}):
        yield url


@contextmanager
def api_client(kind: str) -> Iterator[httpx.Client]:
    if kind == "asgi":
        from starlette.testclient import TestClient

        with TestClient(build_local_app(get_settings()), base_url="http://testserver") as client:
            yield client
    else:
        with httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as client:
            yield client


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest, app_url: str) -> Iterator[httpx.Client]:
    with api_client(request.param) as api:
        yield api


# --- Helpers ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    user_id: str
    token: str
    task_id: int


def new_account(client: httpx.Client) -> Account:
    """A user signed up through the API, with one task."""
    email = unique_email("fault")
    response = signup(client, email)
    token = token_of(response)
    created = client.post("/api/tasks", headers=bearer(token), json={"title": "Survive the fault"})
    assert created.status_code == 201, created.text
    return Account(email, response.json()["user"]["id"], token, created.json()["id"])


def data_requests(account: Account) -> list[tuple[str, str, dict[str, Any]]]:
    """Readiness and every route that needs the database, each as (method, path, request options)."""
    auth = {"headers": bearer(account.token)}
    routes: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/health/ready", {}),
        ("POST", "/api/auth/signup", {"json": {"email": unique_email("fault"), "password": PASSWORD}}),
        ("POST", "/api/auth/login", {"json": {"email": account.email, "password": PASSWORD}}),
        ("GET", "/api/auth/verify", auth),
        ("POST", "/api/auth/logout", auth),
    ]
    replacement = {
        "title": "Replaced",
        "description": None,
        "completed": False,
        "priority": "low",
        "due_date": None,
    }
    for prefix in ("/api/tasks", f"/api/{account.user_id}/tasks"):
        task = f"{prefix}/{account.task_id}"
        routes += [
            ("GET", prefix, auth),
            ("POST", prefix, {**auth, "json": {"title": "New"}}),
            ("GET", task, auth),
            ("PUT", task, {**auth, "json": replacement}),
            ("PATCH", task, {**auth, "json": {"title": "Changed"}}),
            ("PATCH", f"{task}/complete", {**auth, "json": {"completed": True}}),
            ("DELETE", task, auth),
        ]
    return routes


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def assert_no_secrets(text: str, *values: str) -> None:
    """None of ``values`` (passwords, URLs, tokens, keys) appears in ``text``; the message never shows them."""
    found = [index for index, value in enumerate(values) if value and value in text]
    assert not found, f"secret(s) number {found} of {len(values)} appeared in the logs"


def wait_until_ready(client: httpx.Client, within: float) -> httpx.Response:
    """Poll readiness until 200; every answer on the way must be a 503 in the API's shape (never a 500)."""
    deadline = time.monotonic() + within
    while True:
        response = client.get("/health/ready")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        assert (response.status_code, response.json()) == (503, DATABASE_UNAVAILABLE)
        time.sleep(0.2)


# --- The database stopped, then started again -------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_database_stopped_answers_503_on_every_route_then_recovers_by_itself(
    client: httpx.Client,
    stack: Stack,
    backend: str,
    app_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = new_account(client)
    assert client.get("/health/ready").status_code == 200  # the app holds a kept connection now
    stack.cluster.stop("fast")
    try:
        with capture_logs() as logs:
            for method, path, options in data_requests(account):
                response, elapsed = timed(lambda: client.request(method, path, **options))  # noqa: B023
                assert (response.status_code, response.json()) == (503, DATABASE_DOWN[backend]), (
                    method,
                    path,
                )
                assert response.headers["retry-after"] == "5", (method, path)
                # At most one socket timeout (PgBouncer holds the query waiting for a server), never two.
                assert elapsed < 2 * DB_TIMEOUT_SECONDS, (method, path, elapsed)
    finally:
        stack.cluster.start()
    assert any(
        record["message"].startswith("database unavailable: ")
        and record["code"] == DATABASE_DOWN[backend]["code"]
        for record in logs.records
    )
    assert_no_secrets(
        logs.text + caplog.text,  # ours, and anything else logged (SQLAlchemy's pool, pg8000)
        APP_PASSWORD,
        app_url,
        account.token,
        TEST_SECRET,
        PASSWORD,
    )

    # Back without restarting anything: directly at once; through PgBouncer once its retry pause is over.
    if backend == "postgres":
        assert client.get("/health/ready").status_code == 200
    else:
        assert wait_until_ready(client, within=PGBOUNCER_LOGIN_RETRY_SECONDS + 3).status_code == 200
    verified = client.get("/api/auth/verify", headers=bearer(account.token))
    assert (verified.status_code, verified.json()["user"]["email"]) == (200, account.email)
    listed = client.get("/api/tasks", headers=bearer(account.token))
    assert (listed.status_code, [task["id"] for task in listed.json()["tasks"]]) == (200, [account.task_id])
    created = client.post("/api/tasks", headers=bearer(account.token), json={"title": "After the outage"})
    assert created.status_code == 201
    login = client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert login.status_code == 200


# --- PgBouncer restarted, server connections terminated ---------------------------------------------------


@pytest.mark.parametrize("backend", ["pgbouncer"])
def test_pgbouncer_restart_between_requests_is_invisible(client: httpx.Client, stack: Stack) -> None:
    account = new_account(client)
    assert client.get("/health/ready").status_code == 200
    stack.bouncer.restart()  # every client link dropped: the app's kept connection is dead
    with capture_logs() as logs:
        listed = client.get("/api/tasks", headers=bearer(account.token))
        ready = client.get("/health/ready")
    assert (listed.status_code, [task["id"] for task in listed.json()["tasks"]]) == (200, [account.task_id])
    assert ready.status_code == 200
    assert_no_secrets(logs.text, APP_PASSWORD, account.token)


@pytest.mark.parametrize("backend", BACKENDS)
def test_terminated_server_connection_is_replaced_on_the_next_request(
    client: httpx.Client, stack: Stack, backend: str
) -> None:
    account = new_account(client)
    assert client.get("/health/ready").status_code == 200
    # What an operator's pg_terminate_backend, a failover or Neon's idle reaper does to our connection.
    assert stack.cluster.terminate_app_backends() >= 1
    with capture_logs() as logs:
        verified = client.get("/api/auth/verify", headers=bearer(account.token))
        created = client.post("/api/tasks", headers=bearer(account.token), json={"title": "Still here"})
    assert verified.status_code == 200
    assert created.status_code == 201
    assert_no_secrets(logs.text, APP_PASSWORD, account.token)


# --- Better Auth's JWKS endpoint down or hanging ----------------------------------------------------------


@contextmanager
def failing_origin(fault: str) -> Iterator[str]:
    """An origin that refuses connections, accepts and never answers, or trickles bytes."""
    if fault == "refused":
        yield refused_origin()
    else:
        with unresponsive_endpoint("silent" if fault == "silent" else "trickle") as origin:
            yield origin


@pytest.mark.parametrize("backend", ["pgbouncer"])
@pytest.mark.parametrize("fault", ["refused", "silent", "trickle"])
def test_jwks_endpoint_down_or_hanging_gives_better_auth_tokens_503_in_time_and_ours_still_work(
    client: httpx.Client, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(better_auth, "FETCH_TIMEOUT_SECONDS", JWKS_TIMEOUT_SECONDS)
    ours = token_of(signup(client, unique_email("fault")))
    with failing_origin(fault) as origin, better_auth_enabled(origin):
        key = make_key("EdDSA", "fault-key")
        theirs = key.sign(better_auth_claims(origin, sub=uuid.uuid4().hex, email=unique_email("ba")))
        with capture_logs() as logs:
            refused, elapsed = timed(lambda: client.get("/api/auth/verify", headers=bearer(theirs)))
            # The failed fetch is not retried for every request (at most one per 5 s per container).
            again, elapsed_again = timed(lambda: client.get("/api/tasks", headers=bearer(theirs)))
            # Our own HS256 tokens never need the JWKS.
            verified = client.get("/api/auth/verify", headers=bearer(ours))
            listed = client.get("/api/tasks", headers=bearer(ours))
    for response in (refused, again):
        # Temporary, not "invalid": a 401 would make the frontend sign its user out during an outage.
        assert (response.status_code, response.json()) == (503, AUTH_UNAVAILABLE)
        assert response.headers["retry-after"] == "5"
    assert elapsed < 2 * JWKS_TIMEOUT_SECONDS
    assert elapsed_again < QUICK_SECONDS
    assert verified.status_code == 200
    assert listed.status_code == 200
    failures = [record for record in logs.records if record["message"] == "JWKS fetch failed"]
    expected_reason = "URLError" if fault == "refused" else "timed out"
    assert [record["reason"] for record in failures] == [expected_reason]
    assert_no_secrets(logs.text, theirs, ours, APP_PASSWORD)


# --- Secrets Manager / SSM failing at cold start ----------------------------------------------------------

DB_SECRET_NAME = "todo/faults/database-url"
AUTH_PARAMETER = "/todo/faults/auth-secret"
AUTH_SECRET_VALUE = f"fault-auth-secret-{secrets.token_hex(16)}"


@pytest.fixture
def cold_container(stack: Stack) -> Iterator[None]:
    """A fresh Lambda container's settings: production, both secrets by reference, nothing read yet."""
    if not stack.cluster.running:
        stack.cluster.start()
    clear_secret_cache()
    with app_environment(
        {
            "ENVIRONMENT": "production",
            "DATABASE_URL": None,
            "BETTER_AUTH_SECRET": None,
            "DATABASE_URL_REF": f"secretsmanager:{DB_SECRET_NAME}",
            "BETTER_AUTH_SECRET_REF": f"ssm:{AUTH_PARAMETER}",
            "BCRYPT_ROUNDS": "10",
            "DATABASE_TIMEOUT_SECONDS": str(DB_TIMEOUT_SECONDS),
            "AWS_ENDPOINT_URL": None,
        }
    ):
        yield
    clear_secret_cache()


def store_secrets(stack: Stack, *, database: bool = True) -> None:
    if database:
        boto3.client("secretsmanager").create_secret(Name=DB_SECRET_NAME, SecretString=stack.url("pgbouncer"))
    boto3.client("ssm").put_parameter(Name=AUTH_PARAMETER, Value=AUTH_SECRET_VALUE, Type="SecureString")


def assert_misconfigured(api: httpx.Client, *, budget: float) -> None:
    """Readiness and a data route answer 503 ``service_misconfigured`` in time; liveness still answers."""
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/health/ready", {}),
        ("POST", "/api/auth/login", {"json": {"email": "someone@example.com", "password": PASSWORD}}),
    ]
    for method, path, options in requests:
        response, elapsed = timed(lambda: api.request(method, path, **options))  # noqa: B023
        assert (response.status_code, response.json()) == (503, SERVICE_MISCONFIGURED), (method, path)
        assert response.headers["retry-after"] == "5"
        assert elapsed < budget, (method, path, elapsed)
    assert api.get("/health").status_code == 200  # liveness needs no settings


def configuration_errors(records: list[dict[str, Any]]) -> list[str]:
    return [record["message"] for record in records if record["message"].startswith("configuration error")]


def test_missing_secret_at_cold_start_is_a_clear_503_and_the_next_request_reads_it_again(
    cold_container: None, stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    with mock_aws(), httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as api:
        store_secrets(stack, database=False)  # the database URL's secret is missing
        with capture_logs() as logs:
            assert_misconfigured(api, budget=QUICK_SECONDS)
        reference = f"'secretsmanager:{DB_SECRET_NAME}'"
        assert set(configuration_errors(logs.records)) == {
            f"configuration error: DATABASE_URL_REF: could not read {reference} (ResourceNotFoundException)"
        }
        # Someone creates the secret: the container reads it on its next request (failures are not cached).
        boto3.client("secretsmanager").create_secret(Name=DB_SECRET_NAME, SecretString=stack.url("pgbouncer"))
        ready = api.get("/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})
    assert_no_secrets(logs.text + caplog.text, stack.url("pgbouncer"), APP_PASSWORD, AUTH_SECRET_VALUE)


def test_access_denied_at_cold_start_is_a_clear_503(
    cold_container: None, stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with mock_aws(), httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as api:
        store_secrets(stack)
        # The function's role may read the SSM parameter but not the database secret (a wrong ARN in IAM).
        iam = boto3.client("iam")
        iam.create_user(UserName="todo-function")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="todo-function", PolicyName="read", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="todo-function")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])

        @set_initial_no_auth_action_count(0)  # moto checks IAM from here on
        def cold_start() -> list[dict[str, Any]]:
            with capture_logs() as logs:
                assert_misconfigured(api, budget=QUICK_SECONDS)
            assert_no_secrets(logs.text, stack.url("pgbouncer"), APP_PASSWORD, AUTH_SECRET_VALUE)
            return logs.records

        records = cold_start()
    # moto answers a JSON API's denial in XML, so botocore sees only the status (AWS says AccessDeniedException).
    assert set(configuration_errors(records)) == {
        f"configuration error: DATABASE_URL_REF: could not read 'secretsmanager:{DB_SECRET_NAME}' (HTTP 403)"
    }
    assert_no_secrets(caplog.text, stack.url("pgbouncer"), APP_PASSWORD, AUTH_SECRET_VALUE)


@pytest.mark.parametrize("endpoint", ["refused", "silent"])
def test_unreachable_secret_store_at_cold_start_is_a_clear_503_within_bounded_time(
    cold_container: None, endpoint: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Short waits for the test; the shipped values bound a read to about 2 x (2 s + 3 s) + 1 s.
    monkeypatch.setattr(secret_store, "AWS_CONNECT_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(secret_store, "AWS_READ_TIMEOUT_SECONDS", 0.5)
    attempt_seconds = secret_store.AWS_CONNECT_TIMEOUT_SECONDS + secret_store.AWS_READ_TIMEOUT_SECONDS
    # Bounded: the attempts plus one back-off, expected about 3 s; botocore's defaults would take minutes.
    budget = 10 * (secret_store.AWS_MAX_ATTEMPTS * attempt_seconds + 1.0)
    with (
        failing_origin(endpoint) as origin,
        httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as api,
    ):
        monkeypatch.setenv("AWS_ENDPOINT_URL", origin)
        with capture_logs() as logs:
            assert_misconfigured(api, budget=budget)
    # One line per request, naming the reference and what happened: the socket's error class, no message.
    kind = {"refused": "ConnectionRefusedError", "silent": "TimeoutError"}[endpoint]
    reference = f"'secretsmanager:{DB_SECRET_NAME}'"
    assert (
        configuration_errors(logs.records)
        == [f"configuration error: DATABASE_URL_REF: could not read {reference} ({kind})"] * 2
    )
    assert_no_secrets(logs.text + caplog.text, APP_PASSWORD, AUTH_SECRET_VALUE)
