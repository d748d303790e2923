"""The database engine (one per container, created on first use) and short per-request sessions.

Why a small kept pool with a pre-ping, and statements always inside transactions: docs/adr/0004-database-connections.md.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from functools import cache
from typing import Any

from sqlalchemy import Engine, Executable, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel import Session

from todo_shared import lifecycle
from todo_shared.config.database_url import parse_database_url
from todo_shared.config.settings import get_settings
from todo_shared.db.pg8000_driver import KEPT_DRIVER, dbapi_module


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per container: building one loads the CA bundle (~20 ms)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _fail_fast_on_ping_timeout(context: ExceptionContext) -> None:
    """A pre-ping that timed out means the server is not answering, not that the socket died: don't let
    SQLAlchemy reconnect and wait a second full timeout (twice ``DATABASE_TIMEOUT_SECONDS`` would outlast
    the Lambda timeout). The pool still discards the connection, so the next request starts afresh."""
    if context.is_pre_ping and isinstance(context.original_exception.__cause__, TimeoutError):
        context.is_disconnect = False


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def build_engine(
    database_url: str, *, timeout_seconds: float = 10.0, pool_size: int = 1, keep_connections: bool = True
) -> Engine:
    """Create an engine for ``database_url``.

    PostgreSQL: a small pool of kept connections, checked at each checkout (a frozen Lambda or a suspended
    Neon compute leaves dead sockets), with a ping only when in doubt (docs/adr/0033-round-trips-at-the-floor.md). Measured against a connection per request
    in docs/database.md. Statements always run inside transactions: pg8000 in autocommit through
    PgBouncer's transaction mode can send parse and execute to different server connections.
    ``keep_connections=False`` opens a connection per checkout (one-off commands such as migrations).
    """
    target = parse_database_url(database_url)
    if target.is_sqlite:
        engine = create_engine(
            target.url,
            connect_args={"check_same_thread": False, "timeout": timeout_seconds},
            hide_parameters=True,
            **({} if keep_connections else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"timeout": target.connect_timeout or timeout_seconds}
    if target.use_tls:
        connect_args["ssl_context"] = tls_context()
    elif target.plaintext_only:
        # pg8000 given no context tries TLS without verifying it (building a default context each time): with
        # sslmode=disable, as in libpq, the client never asks.
        connect_args["ssl_context"] = False
    if not keep_connections:
        return create_engine(
            target.url,
            module=dbapi_module(),
            connect_args=connect_args,
            poolclass=NullPool,
            hide_parameters=True,
        )
    engine = create_engine(
        target.url.set(drivername=KEPT_DRIVER),
        module=dbapi_module(),
        connect_args=connect_args,
        # Errors are logged with their statement: never with its values (emails, password hashes).
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=4,
        pool_timeout=timeout_seconds,
        pool_pre_ping=True,
        # Neon's pooler and PgBouncer drop idle server links; recycle before a typical idle timeout.
        pool_recycle=240,
    )
    event.listen(engine, "handle_error", _fail_fast_on_ping_timeout)
    return engine


@cache
def get_engine() -> Engine:
    """The container's engine, created on first use from the settings."""
    settings = get_settings()
    return build_engine(
        settings.database_url, timeout_seconds=settings.db_timeout_seconds, pool_size=settings.db_pool_size
    )


def reset_engine() -> None:
    """Dispose of the cached engine (tests switch databases; SnapStart restores drop connections)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


lifecycle.on_drop_connections(reset_engine)


def _load_driver() -> None:
    """Before a SnapStart snapshot: pg8000 and the dialect the first engine loads; no engine, no connection."""
    dbapi_module()
    import todo_shared.db.pg8000_dialect  # noqa: F401  (loaded: SQLAlchemy's registry finds it imported)


lifecycle.on_prepare_snapshot(_load_driver)


def session_scope() -> Iterator[Session]:
    """One short session per request; rolled back if the request failed half-way."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def read_done[T](session: Session, result: T) -> T:
    """``result``, once the request's transaction has ended: a read ends it before its answer is built, so the
    server connection (PgBouncer's, on Neon) is free sooner. What was read stays usable (closing detaches it,
    where a rollback would expire it), and the ROLLBACK is not waited for
    (docs/adr/0033-round-trips-at-the-floor.md)."""
    session.close()
    return result


def commit_with(session: Session, statement: Executable) -> None:
    """Execute ``statement`` and commit: on PostgreSQL in one round trip, the statement travelling in COMMIT's
    flight (docs/adr/0033-round-trips-at-the-floor.md); an error in it is raised by the commit. Only for a write
    whose answer is not read (no RETURNING, no rowcount)."""
    session.flush()  # anything pending goes first, on its own: its answer may be read (RETURNING)
    dbapi_connection = session.connection().connection.dbapi_connection
    sending_with_commit = getattr(dbapi_connection, "sending_with_commit", None)
    if sending_with_commit is None:  # SQLite
        session.execute(statement)
    else:
        with sending_with_commit():
            session.execute(statement)
    session.commit()
