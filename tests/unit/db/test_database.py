"""DATABASE_URL translation (Neon's form → pg8000) and real connections through PgBouncer."""

from __future__ import annotations

import ssl
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import InterfaceError, OperationalError

from devtools.postgres import PgBouncer
from todo_shared.config.database_url import DatabaseUrlError, parse_database_url
from todo_shared.db import engine as database
from todo_shared.db.engine import build_engine

NEON_POOLED = (
    "postgresql://alex:AbC123dEf@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/dbname"
    "?sslmode=require&channel_binding=require"
)


def test_neon_url_becomes_a_pg8000_url_without_libpq_parameters() -> None:
    target = parse_database_url(NEON_POOLED)
    assert target.url.drivername == "postgresql+pg8000"
    assert dict(target.url.query) == {}
    assert target.url.host == "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    assert target.url.database == "dbname"
    assert target.url.username == "alex"
    assert target.url.password == "AbC123dEf"
    assert target.use_tls


def test_neon_engine_connects_with_a_verifying_tls_context_and_a_timeout() -> None:
    engine = build_engine(NEON_POOLED, timeout_seconds=7)
    seen: dict[str, Any] = {}

    def capture(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)
        raise _Captured

    event.listen(engine, "do_connect", capture)
    with pytest.raises(_Captured), engine.connect():
        pass
    engine.dispose()
    assert seen["ssl_context"] is database.tls_context()
    assert seen["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert seen["ssl_context"].check_hostname
    assert seen["timeout"] == 7
    assert seen["host"] == "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    assert "sslmode" not in seen
    assert "channel_binding" not in seen


class _Captured(Exception):  # noqa: N818 (a signal, not an error)
    pass


def test_tls_context_is_built_once_per_container() -> None:
    assert database.tls_context() is database.tls_context()


@pytest.mark.parametrize(
    ("url", "use_tls"),
    [
        ("postgresql://u@127.0.0.1:5432/db", False),
        ("postgresql://u@localhost/db", False),
        ("postgresql://u@db.internal/db", True),  # remote hosts get TLS even without sslmode
        ("postgresql://u@db.internal/db?sslmode=disable", False),
        ("postgres://u@127.0.0.1/db?sslmode=require", True),
    ],
)
def test_tls_choice(url: str, use_tls: bool) -> None:
    assert parse_database_url(url).use_tls is use_tls


def test_connect_timeout_parameter_is_honoured() -> None:
    assert parse_database_url("postgresql://u@h/db?connect_timeout=3").connect_timeout == 3.0


def test_channel_binding_without_tls_is_refused() -> None:
    with pytest.raises(DatabaseUrlError, match="channel_binding=require needs TLS"):
        parse_database_url("postgresql://u@h/db?sslmode=disable&channel_binding=require")


def test_errors_never_repeat_the_password() -> None:
    with pytest.raises(DatabaseUrlError) as caught:
        parse_database_url("postgresql://u:hunter2-password@h/db?bogus=1")
    assert "hunter2" not in str(caught.value)


@pytest.fixture
def trust_test_ca(pgbouncer: PgBouncer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the container's TLS context trust the throwaway CA that signed PgBouncer's certificate."""
    context = ssl.create_default_context(cafile=str(pgbouncer.pki.ca_cert))
    monkeypatch.setattr(database, "tls_context", lambda: context)


def test_neon_style_url_connects_through_pgbouncer_over_verified_tls(
    pgbouncer: PgBouncer, postgres_database: str, trust_test_ca: None
) -> None:
    url = pgbouncer.url(postgres_database, host="localhost", query="sslmode=require&channel_binding=require")
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            raw = connection.connection.driver_connection
            assert isinstance(raw._usock, ssl.SSLSocket)  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_untrusted_certificate_is_refused(pgbouncer: PgBouncer, postgres_database: str) -> None:
    """Without the test CA the system trust store is used, and PgBouncer's certificate fails verification."""
    engine = build_engine(pgbouncer.url(postgres_database, host="localhost", query="sslmode=require"))
    try:
        with pytest.raises((InterfaceError, OperationalError, ssl.SSLError)) as caught, engine.connect():
            pass
        assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    finally:
        engine.dispose()


def test_kept_connection_survives_a_killed_server_connection(
    pgbouncer: PgBouncer, postgres_database: str
) -> None:
    """pre-ping replaces a dead connection instead of failing the request."""
    engine = build_engine(pgbouncer.url(postgres_database))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
        pgbouncer.restart()  # drops every client link, like a frozen Lambda's dead socket
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 2")).scalar_one() == 2
    finally:
        engine.dispose()


def test_statements_run_inside_transactions(pgbouncer: PgBouncer, postgres_database: str) -> None:
    """No autocommit on the pooled endpoint: every statement belongs to a transaction."""
    engine = build_engine(pgbouncer.url(postgres_database))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            assert connection.in_transaction()
            state = connection.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            ).scalar_one()
            assert state == "active"
            assert connection.execute(text("SELECT txid_current_if_assigned() IS NULL")).scalar_one()
    finally:
        engine.dispose()
