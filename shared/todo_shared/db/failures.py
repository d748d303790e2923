"""Which database errors mean "unavailable, retry" rather than a fault in our own SQL."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def is_unavailable(error: BaseException) -> bool:
    """True for connection-level failures (retryable), false for errors in our own SQL."""
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error, (InterfaceError, OperationalError)):
        return True
    # Server-side SQLSTATE: 08 connection exception, 53 insufficient resources, 57P operator intervention.
    details = error.orig.args[0] if error.orig is not None and error.orig.args else None
    sqlstate = str(details.get("C", "")) if isinstance(details, dict) else ""
    return sqlstate.startswith(("08", "53", "57P"))
