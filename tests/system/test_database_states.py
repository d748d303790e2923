"""A database that cannot serve is named for what an operator must do, on every backend.

States: the database missing, the password wrong, never migrated, migrated to an older revision; and what an
operator meets setting up: a role without privileges on the tables, TLS refused or required by the server, a
certificate that is not trusted, a revision newer code wrote, a password whose characters the URL reserves. On Lambda
(the handlers) each is a 503 with its own code and ``Retry-After``, and one log line naming the cause without
the password; a local start-up refuses with one line. PostgreSQL is a private cluster whose app role signs in
with SCRAM (the shared server trusts everyone, so it could never refuse a password), and PgBouncer in front of
it checks passwords itself, as Neon's pooler does.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from devtools import postgres, private_postgres
from devtools.lambda_kit.transport import LambdaTransport
from devtools.migrate import migrate
from devtools.paths import ROOT
from devtools.startup import StartupError, prepare_local_run
from tests.support.logs import capture_logs
from tests.system.test_faults import app_environment
from todo_shared.db.schema import SCHEMA_REVISION, SCHEMA_REVISIONS

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


def test_the_layer_knows_every_revision_of_the_migrations() -> None:
    """A revision outside this list is newer code's: the database is ahead, not behind."""
    from alembic.script import ScriptDirectory

    from devtools.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_current_head() == SCHEMA_REVISION
    assert tuple(reversed([script.revision for script in scripts.walk_revisions()])) == SCHEMA_REVISIONS


# --- What an operator meets setting up: a role without privileges, TLS on one side only, newer code's schema ---

NOPRIVS_ROLE = "todo_state_noprivs"
NOPRIVS_PASSWORD = f"noprivs-pw-{secrets.token_hex(8)}"
# Operator states: each one's code and what its line says, and the URL's backend and sslmode.
OPERATOR_STATES = {
    "no_privileges": ("database_permission_denied", "the database role lacks privileges on the tables"),
    "ahead": ("database_ahead_of_code", "the database is ahead of this code"),
    "tls_refused": ("database_tls_refused", "the database server does not accept TLS"),
    "tls_required": ("database_tls_required", "the database server requires TLS"),
    "untrusted_certificate": ("database_certificate_untrusted", "TLS certificate is not trusted"),
}
OPERATOR_CASES = [
    ("postgres", "no_privileges"),
    ("pgbouncer", "no_privileges"),
    ("postgres", "ahead"),
    ("pgbouncer", "ahead"),
    ("postgres", "tls_refused"),  # the server has no TLS; the URL says sslmode=require
    ("pgbouncer", "tls_refused"),  # a PgBouncer without client TLS
    ("pgbouncer", "tls_required"),  # a PgBouncer that requires it; the URL says sslmode=disable
    ("pgbouncer", "untrusted_certificate"),  # a throwaway certificate, verified as any other
]


@dataclass
class TlsBouncers:
    refusing: postgres.PgBouncer
    requiring: postgres.PgBouncer


@pytest.fixture(scope="module")
def tls_bouncers(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBouncers]:
    """PgBouncers in front of the private cluster: one without client TLS, one that requires it."""
    admin = servers.cluster.admin()
    try:  # a role that may sign in and nothing more, as an app role the migrating role granted nothing
        admin.run(f"CREATE ROLE {NOPRIVS_ROLE} LOGIN PASSWORD '{NOPRIVS_PASSWORD}'")
    finally:
        admin.close()
    users = {private_postgres.APP_ROLE: APP_PASSWORD, NOPRIVS_ROLE: NOPRIVS_PASSWORD}
    common = {"auth_type": "scram-sha-256", "server_login_retry": "0"}

    def bouncer(name: str, client_tls: str) -> AbstractContextManager[postgres.PgBouncer]:
        return postgres.running_pgbouncer(
            tmp_path_factory.mktemp(name),
            server_host="127.0.0.1",
            server_port=servers.cluster.port,
            users=users,
            settings={**common, "client_tls_sslmode": client_tls},
        )

    with bouncer("refusing-tls", "disable") as refusing, bouncer("requiring-tls", "require") as requiring:
        yield TlsBouncers(refusing, requiring)


def operator_url(backend: str, state: str, servers: Servers, bouncers: TlsBouncers) -> str:
    """A URL of a migrated database in ``state``."""
    database = servers.new_database()
    migrate(servers.url("postgres", database))
    if state == "ahead":
        admin = servers.cluster.admin(database)
        try:
            admin.run("UPDATE alembic_version SET version_num = '0099'")
        finally:
            admin.close()
    port = {
        ("pgbouncer", "tls_refused"): bouncers.refusing.port,
        ("pgbouncer", "tls_required"): bouncers.requiring.port,
        ("pgbouncer", "no_privileges"): bouncers.refusing.port,  # the one that knows the role's password
    }.get((backend, state), servers.bouncer.port if backend == "pgbouncer" else servers.cluster.port)
    role, password = (
        (NOPRIVS_ROLE, NOPRIVS_PASSWORD)
        if state == "no_privileges"
        else (
            private_postgres.APP_ROLE,
            APP_PASSWORD,
        )
    )
    query = {"tls_refused": "?sslmode=require", "tls_required": "?sslmode=disable"}.get(state, "")
    if state == "untrusted_certificate":
        query = "?sslmode=require"
    return f"postgresql://{role}:{password}@127.0.0.1:{port}/{database}{query}"


def assert_no_password(text: str) -> None:
    for password in (APP_PASSWORD, NOPRIVS_PASSWORD, WRONG_PASSWORD):
        assert password not in text
    assert "Traceback" not in text


@pytest.mark.parametrize(("backend", "state"), OPERATOR_CASES)
def test_each_operator_state_is_named_on_lambda_by_make_run_and_by_make_migrate(
    backend: str, state: str, servers: Servers, tls_bouncers: TlsBouncers
) -> None:
    """Through the handlers: a 503 whose code names the cause, and one log line saying what to do; `make run`
    and `make migrate`: one line, the password nowhere."""
    code, summary = OPERATOR_STATES[state]
    url = operator_url(backend, state, servers, tls_bouncers)
    with app_environment(production(url)), lambda_client() as client, capture_logs() as logs:
        ready = client.get("/health/ready")
    assert ready.status_code == 503, ready.text
    assert ready.json()["code"] == code
    assert ready.headers["retry-after"] == "5"
    lines = [record for record in logs.records if record["message"].startswith("database unavailable: ")]
    assert [summary in record["message"] for record in lines] == [True], logs.text
    assert_no_password(logs.text)

    with app_environment({"DATABASE_URL": url}), pytest.raises(StartupError) as refused:
        prepare_local_run(default_port=8000)
    assert summary in str(refused.value)
    assert "\n" not in str(refused.value)
    assert_no_password(str(refused.value))

    migrated = subprocess.run(
        [sys.executable, "-m", "devtools.migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrated.returncode == 1, migrated.stderr
    assert migrated.stderr.count("\n") == 1, migrated.stderr
    assert summary in migrated.stderr
    assert_no_password(migrated.stdout + migrated.stderr)


def test_a_role_without_privileges_is_a_503_on_the_data_routes_too(
    servers: Servers, tls_bouncers: TlsBouncers
) -> None:
    """The app's role is not the one that ran the migrations: every query is refused (SQLSTATE 42501), and
    each answer names that, not an internal error."""
    url = operator_url("postgres", "no_privileges", servers, tls_bouncers)
    with app_environment(production(url)), lambda_client() as client:
        signup = client.post(
            "/api/auth/signup",
            json={"email": f"{uuid.uuid4().hex[:8]}@example.com", "password": "pw-12345678"},
        )
    assert (signup.status_code, signup.json()["code"]) == (503, "database_permission_denied")


# --- A password holding characters a URL reserves ----------------------------------------------------------

RAW_PASSWORD = "zqk@xvj/qwm%zyx:yhp-" + secrets.token_hex(4)


def test_a_password_with_reserved_characters_is_named_and_works_percent_encoded(servers: Servers) -> None:
    """Raw, it is one line everywhere, with no part of the password (it used to print most of it, and `make run`
    tried to connect to a host named after part of it); percent-encoded, the same password signs in."""
    admin = servers.cluster.admin()
    try:
        admin.run(f"CREATE ROLE todo_state_rawpw LOGIN PASSWORD '{RAW_PASSWORD}'")
    finally:
        admin.close()
    database = servers.new_database()
    migrate(servers.url("postgres", database))
    admin = servers.cluster.admin(database)
    try:
        admin.run("GRANT SELECT ON alembic_version TO todo_state_rawpw")
    finally:
        admin.close()
    raw = f"postgresql://todo_state_rawpw:{RAW_PASSWORD}@127.0.0.1:{servers.cluster.port}/{database}"
    pieces = re.split(r"[@/%:]", RAW_PASSWORD)  # zqk, xvj, qwm, zyx and the random end
    expected = "DATABASE_URL: the user name or password holds a character that must be percent-encoded"

    with app_environment({"DATABASE_URL": raw}), pytest.raises(StartupError) as refused:
        prepare_local_run(default_port=8000)
    assert str(refused.value).startswith(expected)
    migrated = subprocess.run(
        [sys.executable, "-m", "devtools.migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": raw},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (migrated.returncode, migrated.stderr.count("\n")) == (2, 1), migrated.stderr
    assert migrated.stderr.startswith(f"error: {expected}")
    with app_environment(production(raw)), lambda_client() as client, capture_logs() as logs:
        ready = client.get("/health/ready")
    assert (ready.status_code, ready.json()["code"]) == (503, "service_misconfigured")
    for text in (str(refused.value), migrated.stderr, logs.text):
        assert not [piece for piece in pieces if piece in text], text

    encoded = raw.replace(RAW_PASSWORD, quote(RAW_PASSWORD, safe=""))
    with app_environment({"DATABASE_URL": encoded}):
        prepare_local_run(default_port=8000)  # signs in and reads the revision
