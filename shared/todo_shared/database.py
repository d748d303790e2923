"""The database engine (one per container, created on first use) and short per-request sessions.

``DATABASE_URL`` is accepted exactly as Neon prints it
(``postgresql://user:pw@ep-…-pooler.…/db?sslmode=require&channel_binding=require``) and turned into a
``postgresql+pg8000`` URL: SQLAlchemy would hand libpq's query parameters to ``pg8000.connect()``, which
rejects them, so they are translated into a verifying TLS context and a socket timeout instead.
"""

from __future__ import annotations

import contextlib
import ipaddress
import ssl
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
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


# --- pg8000 with socket failures reported as DBAPI errors ---------------------------------------------------
#
# pg8000 lets some socket failures escape as bare ``OSError``s: a timeout or reset on the first read of a
# reply (e.g. PgBouncer waiting for a PostgreSQL that is down), and any failure while connecting (its SSL
# negotiation, a TLS handshake). SQLAlchemy handles only DBAPI errors: a bare ``TimeoutError`` during the
# pre-ping skipped its disconnect handling and became a 500. ``_pg8000_module`` is pg8000 with those failures
# turned into pg8000's own ``InterfaceError("network error …")``, which SQLAlchemy's pg8000 dialect treats
# as a disconnect (the connection is discarded) and the API answers with 503.


def _network_error(error: OSError) -> Exception:
    """pg8000's own disconnect error for ``error``; callers raise it ``from error``, so a timeout stays
    recognisable as the ``__cause__``."""
    from pg8000.exceptions import InterfaceError

    # The socket's own words (e.g. "timed out", "[SSL: CERTIFICATE_VERIFY_FAILED] …"): never a password.
    network_error: Exception = InterfaceError(f"network error ({error or type(error).__name__})")
    return network_error


class _GuardedStream:
    """pg8000's buffered socket file, reporting socket failures as ``InterfaceError``.

    After the first failure the stream is closed at once and every later use fails the same way: its unsent
    bytes (pg8000's goodbye message) would otherwise be flushed again when it is garbage-collected, and
    that error has nowhere to go but stderr ("Exception ignored in: <_io.BufferedRWPair …>").
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._failed = False

    def _guarded(self, operation: str, *args: Any) -> Any:
        if self._failed:
            from pg8000.exceptions import InterfaceError

            raise InterfaceError("network error (the connection already failed)")
        try:
            return getattr(self._stream, operation)(*args)
        except OSError as error:
            self._failed = True
            # Its flush fails the same way (OSError), but the stream ends up closed regardless.
            with contextlib.suppress(OSError):
                self._stream.close()
            raise _network_error(error) from error

    def read(self, size: int) -> bytes:
        data: bytes = self._guarded("read", size)
        return data

    def write(self, data: bytes) -> int:
        written: int = self._guarded("write", data)
        return written

    def flush(self) -> None:
        self._guarded("flush")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _guarded_connect(*args: Any, **kwargs: Any) -> Any:
    # One round trip per statement instead of pg8000's three (pg_pipeline.py).
    from todo_shared.pg_pipeline import PipelinedConnection

    try:
        connection = PipelinedConnection(*args, **kwargs)
    except OSError as error:
        raise _network_error(error) from error
    stream = getattr(connection, "_sock", None)  # where pg8000 (1.31) reads and writes the protocol
    if stream is not None:
        connection._sock = _GuardedStream(stream)
    return connection


@cache
def _pg8000_module() -> types.ModuleType:
    """The DBAPI module handed to SQLAlchemy: pg8000 itself, except for ``connect`` (guarded, pipelined)."""
    import pg8000

    module = types.ModuleType("pg8000_guarded", pg8000.__doc__)
    module.__dict__.update({name: value for name, value in vars(pg8000).items() if name != "__name__"})
    module.__dict__["connect"] = _guarded_connect
    return module


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
            hide_parameters=True,
            **({} if keep_connections else {"poolclass": NullPool}),
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {"timeout": target.connect_timeout or timeout_seconds}
    if target.use_tls:
        connect_args["ssl_context"] = tls_context()
    if not keep_connections:
        return create_engine(
            target.url,
            module=_pg8000_module(),
            connect_args=connect_args,
            poolclass=NullPool,
            hide_parameters=True,
        )
    engine = create_engine(
        target.url,
        module=_pg8000_module(),
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
