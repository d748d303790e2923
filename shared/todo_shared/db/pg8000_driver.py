"""The PostgreSQL driver as SQLAlchemy gets it: pg8000, pipelined, with socket failures as DBAPI errors and
every wait bounded by the request's deadline (todo_shared.db.deadline)."""

from __future__ import annotations

import contextlib
import types
from functools import cache
from typing import Any

from sqlalchemy.dialects import registry

from todo_shared.db import deadline
from todo_shared.thirdparty import pg8000 as pg8000_internals

# The kept pool's driver name: pg8000 with the ping of todo_shared.db.pg8000_dialect (imported on first use).
KEPT_DRIVER = "postgresql+pg8000_kept"
registry.register("postgresql.pg8000_kept", "todo_shared.db.pg8000_dialect", "KeptConnectionDialect")

# --- pg8000 with socket failures reported as DBAPI errors ---------------------------------------------------
#
# pg8000 lets some socket failures escape as bare ``OSError``s: a timeout or reset on the first read of a
# reply (e.g. PgBouncer waiting for a PostgreSQL that is down), and any failure while connecting (its SSL
# negotiation, a TLS handshake). SQLAlchemy handles only DBAPI errors: a bare ``TimeoutError`` during the
# pre-ping skipped its disconnect handling and became a 500. ``dbapi_module()`` is pg8000 with those failures
# turned into pg8000's own ``InterfaceError("network error …")``, which SQLAlchemy's pg8000 dialect treats
# as a disconnect (the connection is discarded) and the API answers with 503.
#
# Every read waits at most what is left of the request's deadline (``DATABASE_TIMEOUT_SECONDS`` when more is
# left): a reply held in PgBouncer's queue or a slow statement ends the request in time. When the deadline is
# what ran out, the network error's cause is ``deadline.DeadlineExceededError``.


# A read under the deadline may end up to this much before it (the socket's timeout is not set anew each read).
TIMEOUT_SLACK = 0.05


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

    def __init__(self, stream: Any, raw_socket: Any = None, timeout: float | None = None) -> None:
        self._stream = stream
        self._failed = False
        self._socket = raw_socket
        self._timeout = timeout
        self._applied: float = timeout or 0.0  # the socket's timeout now (pg8000 set it at connect)
        self._by_deadline = False

    def _fail(self, error: OSError) -> Exception:
        self._failed = True
        # Its flush fails the same way (OSError), but the stream ends up closed regardless.
        with contextlib.suppress(OSError):
            self._stream.close()
        return _network_error(error)

    def _guarded(self, operation: str, *args: Any) -> Any:
        if self._failed:
            from pg8000.exceptions import InterfaceError

            raise InterfaceError("network error (the connection already failed)")
        try:
            return getattr(self._stream, operation)(*args)
        except OSError as error:
            raise self._fail(error) from error

    def read(self, size: int) -> bytes:
        if self._socket is None or self._timeout is None or self._failed:
            data: bytes = self._guarded("read", size)
            return data
        try:
            timeout, by_deadline = deadline.wait_timeout(self._timeout)
        except deadline.DeadlineExceededError as error:
            raise self._fail(error) from error
        if not (by_deadline and self._by_deadline and timeout - TIMEOUT_SLACK <= self._applied <= timeout):
            # pg8000 reads twice per message: the timeout is set again only when it is off by more than the slack
            self._socket.settimeout(timeout)
            self._applied, self._by_deadline = timeout, by_deadline
        try:
            data = self._guarded("read", size)
        except Exception as error:
            if by_deadline and isinstance(error.__cause__, TimeoutError):
                ran_out = deadline.DeadlineExceededError("the request's time for the database ran out")
                raise _network_error(ran_out) from ran_out
            raise
        return data

    def write(self, data: bytes) -> int:
        written: int = self._guarded("write", data)
        return written

    def flush(self) -> None:
        self._guarded("flush")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _guarded_connect(*args: Any, **kwargs: Any) -> Any:
    # Pipelined, BEGIN with the first statement: docs/adr/0033-round-trips-at-the-floor.md.
    timeout = kwargs.get("timeout")
    by_deadline = False
    if timeout is not None:
        try:
            kwargs["timeout"], by_deadline = deadline.wait_timeout(timeout)
        except deadline.DeadlineExceededError as error:
            raise _network_error(error) from error
    try:
        connection = pg8000_internals.PipelinedConnection(*args, **kwargs)
    except OSError as error:
        cause: OSError = error
        if by_deadline and isinstance(error, TimeoutError):
            cause = deadline.DeadlineExceededError(
                "the request's time for the database ran out while connecting"
            )
        raise _network_error(cause) from cause
    except Exception as error:  # pg8000's own "can't create a connection", from the socket's timeout
        if by_deadline and isinstance(error.__cause__, TimeoutError):
            ran_out = deadline.DeadlineExceededError(
                "the request's time for the database ran out while connecting"
            )
            raise _network_error(ran_out) from ran_out
        raise
    connection.transaction_settings = deadline.transaction_settings
    stream = pg8000_internals.socket_stream(connection)
    if stream is not None:
        guarded = _GuardedStream(stream, pg8000_internals.raw_socket(connection), timeout)
        pg8000_internals.replace_socket_stream(connection, guarded)
    return connection


@cache
def dbapi_module() -> types.ModuleType:
    """The DBAPI module handed to SQLAlchemy: pg8000 itself, except for ``connect`` (guarded, pipelined)."""
    import pg8000

    pg8000_internals.install_statement_cache()
    module = types.ModuleType("pg8000_guarded", pg8000.__doc__)
    module.__dict__.update({name: value for name, value in vars(pg8000).items() if name != "__name__"})
    module.__dict__["connect"] = _guarded_connect
    return module
