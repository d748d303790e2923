"""The PostgreSQL driver as SQLAlchemy gets it: pg8000, pipelined, with socket failures as DBAPI errors."""

from __future__ import annotations

import contextlib
import types
from functools import cache
from typing import Any

from sqlalchemy.dialects import registry

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
    # One round trip per statement instead of pg8000's three (todo_shared.thirdparty.pg8000).
    try:
        connection = pg8000_internals.PipelinedConnection(*args, **kwargs)
    except OSError as error:
        raise _network_error(error) from error
    stream = pg8000_internals.socket_stream(connection)
    if stream is not None:
        pg8000_internals.replace_socket_stream(connection, _GuardedStream(stream))
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
