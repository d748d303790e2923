"""The database engine (one per container, created on first use) and short per-request sessions.

``DATABASE_URL`` is accepted exactly as Neon prints it
(``postgresql://user:pw@ep-…-pooler.…/db?sslmode=require&channel_binding=require``) and turned into a
``postgresql+pg8000`` URL: SQLAlchemy would hand libpq's query parameters to ``pg8000.connect()``, which
rejects them, so they are translated into a verifying TLS context and a socket timeout instead.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel import Session

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+pg8000"})
TLS_SSLMODES = frozenset({"require", "verify-ca", "verify-full", "prefer", "allow"})
KNOWN_QUERY_KEYS = frozenset({"sslmode", "channel_binding", "connect_timeout"})
LOOPBACK_NAMES = frozenset({"localhost"})


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` cannot be used. The message never repeats the password."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """What ``create_engine`` needs: a driver URL and how to connect."""

    url: URL
    use_tls: bool = False
    connect_timeout: float | None = None
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_database_url(raw: str) -> DatabaseTarget:
    """Translate a libpq-style or SQLite URL into a ``DatabaseTarget``."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise DatabaseUrlError("not a URL (expected postgresql://… or sqlite:///…)") from None
    scheme = url.drivername
    if scheme == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseUrlError("a SQLite URL needs a file path, e.g. sqlite:///./todo.db")
        return DatabaseTarget(url=url)
    if scheme not in POSTGRES_SCHEMES:
        raise DatabaseUrlError(f"unsupported scheme {scheme!r} (expected postgresql:// or sqlite:///)")
    if not url.host:
        raise DatabaseUrlError("a PostgreSQL URL needs a host")
    if not url.database:
        raise DatabaseUrlError("a PostgreSQL URL needs a database name")
    query = {key: (value if isinstance(value, str) else value[-1]) for key, value in url.query.items()}
    unknown = sorted(set(query) - KNOWN_QUERY_KEYS)
    if unknown:
        raise DatabaseUrlError(f"unsupported query parameter(s): {', '.join(unknown)}")
    sslmode = query.get("sslmode")
    if sslmode is not None and sslmode not in TLS_SSLMODES | {"disable"}:
        raise DatabaseUrlError(f"unsupported sslmode {sslmode!r}")
    if query.get("channel_binding", "prefer") not in ("require", "prefer", "disable"):
        raise DatabaseUrlError(f"unsupported channel_binding {query['channel_binding']!r}")
    # Remote hosts always get verified TLS (stricter than libpq's "require", which skips verification);
    # plaintext only on loopback or when asked for with sslmode=disable.
    use_tls = sslmode in TLS_SSLMODES or (sslmode is None and not _is_loopback(url.host))
    if query.get("channel_binding") == "require" and not use_tls:
        raise DatabaseUrlError("channel_binding=require needs TLS (sslmode=require)")
    timeout: float | None = None
    if "connect_timeout" in query:
        try:
            timeout = float(query["connect_timeout"])
        except ValueError:
            raise DatabaseUrlError("connect_timeout must be a number of seconds") from None
    driver_url = url.set(drivername="postgresql+pg8000", query={})
    return DatabaseTarget(url=driver_url, use_tls=use_tls, connect_timeout=timeout)


@cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per container: building one loads the CA bundle (~20 ms)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


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

    PostgreSQL: a small pool of kept connections, checked with a ping before each checkout (a frozen
    Lambda or a suspended Neon compute leaves dead sockets). Measured against a connection per request
    in docs/database.md. Statements always run inside transactions: pg8000 in autocommit through
    PgBouncer's transaction mode can send parse and execute to different server connections.
    ``keep_connections=False`` opens a connection per checkout (one-off commands such as migrations).
    """
    target = parse_database_url(database_url)
    if target.is_sqlite:
        engine = create_engine(
            target.url,
            connect_args={"check_same_thread": False, "timeout": timeout_seconds},
            **({} if keep_connections else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"timeout": target.connect_timeout or timeout_seconds}
    if target.use_tls:
        connect_args["ssl_context"] = tls_context()
    if not keep_connections:
        return create_engine(target.url, connect_args=connect_args, poolclass=NullPool)
    return create_engine(
        target.url,
        connect_args=connect_args,
        pool_size=pool_size,
        max_overflow=4,
        pool_timeout=timeout_seconds,
        pool_pre_ping=True,
        # Neon's pooler and PgBouncer drop idle server links; recycle before a typical idle timeout.
        pool_recycle=240,
    )


@cache
def get_engine() -> Engine:
    """The container's engine, created on first use from the settings."""
    from todo_shared.settings import get_settings

    settings = get_settings()
    return build_engine(
        settings.database_url, timeout_seconds=settings.db_timeout_seconds, pool_size=settings.db_pool_size
    )


def reset_engine() -> None:
    """Dispose of the cached engine (tests switch databases; SnapStart restores drop connections)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def session_scope() -> Iterator[Session]:
    """One short session per request; rolled back if the request failed half-way."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session
