"""A database that cannot serve is named for what an operator must do, on every backend.

States: the database missing, the password wrong, never migrated, migrated to an older revision. On Lambda
(the handlers) each is a 503 with its own code and ``Retry-After``, and one log line naming the cause without
the password; a local start-up refuses with one line. PostgreSQL is a private cluster whose app role signs in
with SCRAM (the shared server trusts everyone, so it could never refuse a password), and PgBouncer in front of
it checks passwords itself, as Neon's pooler does.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devtools import postgres, private_postgres
from devtools.lambda_kit.transport import LambdaTransport
from devtools.migrate import migrate
from devtools.startup import StartupError, prepare_local_run
from tests.support.logs import capture_logs
from tests.system.test_faults import app_environment
from todo_shared.db.schema import SCHEMA_REVISION

APP_PASSWORD = f"state-pw-{secrets.token_hex(8)}"
WRONG_PASSWORD = f"wrong-pw-{secrets.token_hex(8)}"
PREVIOUS_REVISION = "0003"

EXPECTED = {
    "missing": ("database_missing", "the database named in DATABASE_URL does not exist"),
    "wrong_password": ("database_credentials_refused", "the database refused the credentials"),
    "unmigrated": ("database_not_migrated", "the database has no schema: run `make migrate`"),
    "behind": ("database_behind_migrations", "the database schema is behind this code's migrations"),
}
CASES = [
    ("sqlite", "missing"),
    ("sqlite", "unmigrated"),
    ("sqlite", "behind"),
    *((backend, state) for backend in ("postgres", "pgbouncer") for state in EXPECTED),
]


@dataclass
class Servers:
    cluster: private_postgres.PrivatePostgres
    bouncer: postgres.PgBouncer

    def url(self, backend: str, database: str, password: str = APP_PASSWORD) -> str:
        port = self.bouncer.port if backend == "pgbouncer" else self.cluster.port
        return f"postgresql://{private_postgres.APP_ROLE}:{password}@127.0.0.1:{port}/{database}"

    def new_database(self) -> str:
        name = f"state_{uuid.uuid4().hex[:10]}"
        admin = self.cluster.admin()
        try:
            admin.run(f'CREATE DATABASE "{name}" OWNER {private_postgres.APP_ROLE}')
        finally:
            admin.close()
        return name


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    reason = private_postgres.unavailable_reason() or (
        None if postgres.pgbouncer_binary() else "pgbouncer is not installed (Debian package 'pgbouncer')"
    )
    if reason is not None:
        pytest.fail(f"required but unavailable: {reason}", pytrace=False)
    with (
        private_postgres.running_private_postgres(APP_PASSWORD) as cluster,
        postgres.running_pgbouncer(
            tmp_path_factory.mktemp("states-pgbouncer"),
            server_host="127.0.0.1",
            server_port=cluster.port,
            users={private_postgres.APP_ROLE: APP_PASSWORD},
            # No pause before retrying a server login that failed (its default, 15 s, holds clients meanwhile).
            settings={"auth_type": "scram-sha-256", "server_login_retry": "0"},
        ) as bouncer,
    ):
        yield Servers(cluster, bouncer)


def database_url(backend: str, state: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL whose database is in ``state``."""
    if backend == "sqlite":
        if state == "missing":
            return f"sqlite:///{tmp_path / 'no-such-folder' / 'todo.db'}"
        url = f"sqlite:///{tmp_path / 'todo.db'}"
        if state == "behind":
            migrate(url, PREVIOUS_REVISION)
        else:
            (tmp_path / "todo.db").touch()
        return url
    servers: Servers = request.getfixturevalue("servers")
    if state == "missing":
        return servers.url(backend, "no_such_database")
    database = servers.new_database()
    if state == "wrong_password":
        migrate(servers.url("postgres", database))
        return servers.url(backend, database, WRONG_PASSWORD)
    if state == "behind":
        migrate(servers.url("postgres", database), PREVIOUS_REVISION)
    return servers.url(backend, database)


def lambda_client() -> httpx.Client:
    return httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com")


def production(url: str) -> dict[str, str | None]:
    return {
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        "BCRYPT_ROUNDS": "10",
        "DATABASE_TIMEOUT_SECONDS": "3",
    }


@pytest.mark.parametrize(("backend", "state"), CASES)
def test_each_database_state_is_a_503_with_its_code_and_one_log_line_on_lambda(
    backend: str, state: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    code, summary = EXPECTED[state]
    url = database_url(backend, state, request, tmp_path)
    with app_environment(production(url)), lambda_client() as client, capture_logs() as logs:
        ready = client.get("/health/ready")
        # Behind: the previous revision's users table has no issuer, so the signup meets the old schema.
        data = client.post(
            "/api/auth/signup",
            json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "pw-12345678"},
        )
    for response in (ready, data):
        assert response.status_code == 503, response.text
        assert response.json()["code"] == code
        assert response.headers["retry-after"] == "5"
    lines = [record for record in logs.records if record["message"].startswith("database unavailable: ")]
    assert len(lines) == 2, logs.text  # one line per request
    assert all(record["code"] == code and summary in record["message"] for record in lines), lines
    assert APP_PASSWORD not in logs.text
    assert WRONG_PASSWORD not in logs.text
    assert "Traceback" not in logs.text


@pytest.mark.parametrize(("backend", "state"), [case for case in CASES if case[0] != "sqlite"])
def test_local_start_up_refuses_with_one_line(
    backend: str, state: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """`make run` on a PostgreSQL URL: it is someone else's database, so it is checked, not migrated."""
    _code, summary = EXPECTED[state]
    url = database_url(backend, state, request, tmp_path)
    with app_environment({"DATABASE_URL": url}), pytest.raises(StartupError) as refused:
        prepare_local_run(default_port=8000)
    message = str(refused.value)
    assert summary in message
    assert "\n" not in message
    assert APP_PASSWORD not in message
    assert WRONG_PASSWORD not in message


@pytest.mark.parametrize("state", ["unmigrated", "behind"])
def test_local_start_up_migrates_its_own_sqlite(
    state: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = database_url("sqlite", state, request, tmp_path)
    with app_environment({"DATABASE_URL": url}):
        prepare_local_run(default_port=8000)
        with lambda_client() as client:
            assert client.get("/health/ready").json() == {"status": "ok", "database": "ok"}


def test_local_start_up_on_an_unopenable_sqlite_path_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'todo.db'}"
    with app_environment({"DATABASE_URL": url}), pytest.raises(StartupError) as refused:
        prepare_local_run(default_port=8000)
    assert "does not exist" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_layer_knows_the_migrations_head() -> None:
    from alembic.script import ScriptDirectory

    from devtools.migrate import alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION
