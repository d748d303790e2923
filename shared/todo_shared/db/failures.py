"""What a database error means: a cause an operator can act on, or a fault in our own SQL.

``database_failure`` turns a driver error into a ``DatabaseNotReady`` naming the cause (unreachable,
credentials refused, a role without privileges, TLS refused, required or untrusted, database missing, schema not
migrated or behind, the request's deadline or the server's statement timeout, or a passing outage); None means
the error is ours (a 500). Causes quote the server's own message, which never holds a password.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from todo_shared.db.deadline import DeadlineExceededError
from todo_shared.errors import (
    DatabaseBehindMigrations,
    DatabaseCertificateUntrusted,
    DatabaseCredentialsRefused,
    DatabaseDeadlineExceeded,
    DatabaseMissing,
    DatabaseNotMigrated,
    DatabaseNotReady,
    DatabasePermissionDenied,
    DatabaseStatementTimeout,
    DatabaseTlsRefused,
    DatabaseTlsRequired,
    DatabaseUnreachable,
)

MAX_CAUSE_LENGTH = 300

# SQLSTATEs (PostgreSQL appendix A) whose meaning is a setup problem, not a passing outage.
_BY_SQLSTATE: dict[str, type[DatabaseNotReady]] = {
    "28P01": DatabaseCredentialsRefused,  # invalid_password
    "28000": DatabaseCredentialsRefused,  # invalid_authorization_specification (e.g. no such role)
    "3D000": DatabaseMissing,  # invalid_catalog_name
    "42P01": DatabaseNotMigrated,  # undefined_table
    "42703": DatabaseBehindMigrations,  # undefined_column
    "42501": DatabasePermissionDenied,  # insufficient_privilege: the role is not the one that migrated
}
# A server (PostgreSQL, PgBouncer, Neon) that requires TLS refuses a plaintext client in these words; PostgreSQL
# says it as a missing pg_hba.conf entry (28000), which would otherwise read as refused credentials.
_TLS_REQUIRED_MESSAGES = ("ssl required", "no encryption", "ssl off", "connection is insecure")
# Connection exception, insufficient resources, operator intervention: retry later.
_PASSING_SQLSTATE_PREFIXES = ("08", "53", "57P")
QUERY_CANCELED = "57014"  # by statement_timeout, or by someone's pg_cancel_backend
# PgBouncer (1.18+) refusing a client itself, before any server is involved.
_PGBOUNCER_MESSAGES: tuple[tuple[str, type[DatabaseNotReady]], ...] = (
    ("password authentication failed", DatabaseCredentialsRefused),
    ("sasl authentication failed", DatabaseCredentialsRefused),
    ("no such user", DatabaseCredentialsRefused),
    ("does not exist", DatabaseMissing),  # database "x" does not exist
    ("no such database", DatabaseMissing),
)
# SQLite says it in words.
_SQLITE_MESSAGES: tuple[tuple[str, type[DatabaseNotReady]], ...] = (
    ("unable to open database file", DatabaseMissing),
    ("no such table", DatabaseNotMigrated),
    ("no such column", DatabaseBehindMigrations),
    ("has no column named", DatabaseBehindMigrations),
)


def _server_fields(orig: BaseException | None) -> dict[str, Any]:
    """pg8000 hands the server's ErrorResponse over as a dict (C = SQLSTATE, M = message)."""
    details = orig.args[0] if orig is not None and orig.args else None
    return details if isinstance(details, dict) else {}


def _cause(text: object) -> str:
    return " ".join(str(text).split())[:MAX_CAUSE_LENGTH]


def database_failure(error: BaseException) -> DatabaseNotReady | None:
    """The cause of ``error`` when the database cannot serve, or None for a fault in our own SQL."""
    if isinstance(error, PoolTimeoutError):
        return DatabaseNotReady("no connection became free in time")
    if not isinstance(error, DBAPIError):
        return None
    fields = _server_fields(error.orig)
    sqlstate = str(fields.get("C", ""))
    message = _cause(fields.get("M") or error.orig or type(error).__name__)
    if isinstance(getattr(error.orig, "__cause__", None), DeadlineExceededError):
        return DatabaseDeadlineExceeded(message)
    if sqlstate == QUERY_CANCELED:
        timed_out = "statement timeout" in message.lower()
        return DatabaseStatementTimeout(message) if timed_out else DatabaseNotReady(message)
    lowered = message.lower()
    if sqlstate in ("08P01", "28000") and any(text in lowered for text in _TLS_REQUIRED_MESSAGES):
        return DatabaseTlsRequired(message)
    if isinstance(error, InterfaceError) and "server refuses ssl" in lowered:  # pg8000, when asked for TLS
        return DatabaseTlsRefused(message)
    if "certificate_verify_failed" in lowered:  # pg8000 wraps the ssl module's error as a network error
        return DatabaseCertificateUntrusted(message)
    if sqlstate in _BY_SQLSTATE:
        return _BY_SQLSTATE[sqlstate](message)
    if sqlstate == "08P01":  # PgBouncer answers its own refusals as protocol violations, in words
        for text, kind in _PGBOUNCER_MESSAGES:
            if text in lowered:
                return kind(message)
    if sqlstate.startswith(_PASSING_SQLSTATE_PREFIXES):
        return DatabaseNotReady(message)
    if error.connection_invalidated:
        return DatabaseNotReady(message)
    for text, kind in _SQLITE_MESSAGES:
        if text in lowered:
            if kind is DatabaseMissing:  # SQLite creates the file, but not its folder
                message += ": the SQLite file's folder must exist and be writable"
            return kind(message)
    if isinstance(error, InterfaceError) and "can't create a connection" in lowered:
        return DatabaseUnreachable(message)
    if isinstance(error, (InterfaceError, OperationalError)):
        return DatabaseNotReady(message)
    return None


UNIQUE_VIOLATION = "23505"


def is_unique_violation(error: BaseException) -> bool:
    """A unique index refused the write (PostgreSQL's SQLSTATE 23505, SQLite's IntegrityError in words)."""
    if not isinstance(error, DBAPIError):
        return False
    if _server_fields(error.orig).get("C") == UNIQUE_VIOLATION:
        return True
    return "unique constraint failed" in str(error.orig).lower()
