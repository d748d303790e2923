"""Domain errors: what went wrong, in the domain's words, with no HTTP in them.

Each class carries a stable ``code`` and a human ``detail``; ``todo_shared.http.errors`` maps every class to
its status and headers in one table (docs/adr/0003-domain-errors.md).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An expected failure. ``code`` is stable and snake_case; ``detail`` is one human sentence."""

    code: ClassVar[str] = "error"
    default_detail: ClassVar[str] = "The request cannot be completed."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


# --- Authentication ---------------------------------------------------------------------------------------


class AuthenticationFailed(DomainError):
    """A request's credentials were refused. ``reason`` is a short machine-readable cause, safe to log;
    ``context`` holds more safe fields for the log line (a user id, never a token)."""

    code = "invalid_token"
    default_detail = "Invalid authentication token"

    def __init__(self, reason: str, detail: str | None = None, **context: Any) -> None:
        super().__init__(detail)
        self.reason = reason
        self.context = context


class NotAuthenticated(AuthenticationFailed):
    code = "not_authenticated"
    default_detail = "Authentication required"

    def __init__(self) -> None:
        super().__init__("missing")


class InvalidRefreshToken(AuthenticationFailed):
    """A refresh token that is unknown, or whose session has ended or expired: sign in again."""

    code = "invalid_refresh_token"
    default_detail = "The refresh token is not valid; please sign in again."


class RefreshTokenReused(AuthenticationFailed):
    """A refresh token presented again after it was used: treated as theft, the whole session ended."""

    code = "refresh_token_reused"
    default_detail = "This refresh token was already used; the session has been ended. Please sign in again."


class SessionNotFound(DomainError):
    code = "session_not_found"
    default_detail = "Session not found."


class CrossSiteCookie(DomainError):
    code = "cross_site_request"
    default_detail = "Cross-site requests cannot use the auth cookie."


class EmailTaken(DomainError):
    code = "email_taken"
    default_detail = "This email is already registered"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    default_detail = "Invalid email or password"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    default_detail = "Too many login attempts. Please try again later."

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__()
        self.retry_after_seconds = retry_after_seconds


class TooManySignups(TooManyAttempts):
    default_detail = "Too many signup attempts from this address. Please try again later."


class KeysUnavailable(DomainError):
    """A token's signing key is not cached and the key set cannot be fetched: the token may well be valid, so
    this is temporary, not a refusal that would make a frontend sign its user out during an outage."""

    code = "auth_unavailable"
    default_detail = "Sign-in keys cannot be fetched right now; please try again shortly."

    def __init__(self, retry_after_seconds: int = 5) -> None:
        super().__init__()
        self.retry_after_seconds = max(1, retry_after_seconds)


# --- Tasks ------------------------------------------------------------------------------------------------


class OtherUsersPath(DomainError):
    code = "forbidden"
    default_detail = "You can only access your own tasks."


class TaskNotFound(DomainError):
    code = "task_not_found"
    default_detail = "Task not found."


class VersionMismatch(DomainError):
    """A conditional write named a version that is no longer current; nothing was written."""

    code = "precondition_failed"
    default_detail = "The task was changed by someone else since you read it; reload it and try again."

    def __init__(self, current_version: int) -> None:
        super().__init__()
        self.current_version = current_version


class TaskBusy(DomainError):
    code = "task_busy"
    default_detail = "The task is being changed by many requests at once; please retry shortly."


class IdempotencyKeyInUse(DomainError):
    """A create with this Idempotency-Key is still running (the IETF httpapi draft's 409)."""

    code = "idempotency_key_in_use"
    default_detail = "A request with this Idempotency-Key is still being processed; retry it shortly."


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was first sent with another body (the draft's 422): not a retry of that request."""

    code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request body; send a new key for a new request."


# --- Input checked after parsing ----------------------------------------------------------------------------


class InvalidField(DomainError):
    """A value the request's schema let through but the domain refuses (400 with a per-field message)."""

    code = "validation_error"
    default_detail = "The request is not valid."

    def __init__(self, field: str, message: str) -> None:
        super().__init__()
        self.field = field
        self.message = message


# --- Configuration ------------------------------------------------------------------------------------------


class ConfigurationError(DomainError):
    """A missing or unsafe setting. ``str(error)`` is one line that names the setting, never a secret."""

    code = "service_misconfigured"
    default_detail = "The service is not configured correctly; please retry later."

    def __init__(self, message: str) -> None:
        super().__init__(self.default_detail)
        self.message = message
        self.args = (message,)

    def __str__(self) -> str:
        return self.message


# --- The database ---------------------------------------------------------------------------------------------


class DatabaseNotReady(DomainError):
    """The database cannot serve requests. ``cause`` says why in words an operator can act on (safe to log:
    never a password); clients get the code and a retry hint only."""

    code = "database_unavailable"
    default_detail = "The database is unavailable; please retry shortly."
    # What an operator reads in the log line, before the cause.
    summary: ClassVar[str] = "the database is unavailable"
    # A passing state that retries get past (an outage, a slow moment); False for a cause someone must fix.
    passing: ClassVar[bool] = True

    def __init__(self, cause: str = "") -> None:
        super().__init__()
        self.cause = cause

    @property
    def line(self) -> str:
        """What an operator reads: the summary, then the cause in the server's own words."""
        return self.summary + (f" ({self.cause})" if self.cause else "")


class DatabaseUnreachable(DatabaseNotReady):
    passing = False
    code = "database_unreachable"
    summary = "the database server cannot be reached (check the host, the port and the network)"


class DatabaseCredentialsRefused(DatabaseNotReady):
    passing = False
    code = "database_credentials_refused"
    default_detail = "The service cannot sign in to its database; please retry later."
    summary = "the database refused the credentials (check the user and password in DATABASE_URL)"


class DatabaseMissing(DatabaseNotReady):
    passing = False
    code = "database_missing"
    default_detail = "The service's database does not exist; please retry later."
    summary = "the database named in DATABASE_URL does not exist"


class DatabaseNotMigrated(DatabaseNotReady):
    passing = False
    code = "database_not_migrated"
    default_detail = "The service's database is not set up yet; please retry later."
    summary = "the database has no schema: run `make migrate` against it"


class DatabaseBehindMigrations(DatabaseNotReady):
    passing = False
    code = "database_behind_migrations"
    default_detail = "The service's database is not up to date; please retry later."
    summary = "the database schema is behind this code's migrations: run `make migrate` against it"


class DatabaseAheadOfCode(DatabaseNotReady):
    passing = False
    code = "database_ahead_of_code"
    default_detail = "The service's database is newer than the service; please retry later."
    summary = (
        "the database is ahead of this code: its schema revision is not one of this code's migrations "
        "(deploy the code that migrated it, or point DATABASE_URL at this code's own database)"
    )


class DatabasePermissionDenied(DatabaseNotReady):
    passing = False
    code = "database_permission_denied"
    default_detail = "The service's database role lacks privileges; please retry later."
    summary = (
        "the database role lacks privileges on the tables (SQLSTATE 42501): grant them to the user in "
        "DATABASE_URL, or use the role that ran the migrations"
    )


class DatabaseTlsRefused(DatabaseNotReady):
    passing = False
    code = "database_tls_refused"
    default_detail = "The service cannot reach its database securely; please retry later."
    summary = (
        "the database server does not accept TLS, which DATABASE_URL asks for (sslmode=require, or a host "
        "that is not this machine): for a local server without TLS add ?sslmode=disable"
    )


class DatabaseTlsRequired(DatabaseNotReady):
    passing = False
    code = "database_tls_required"
    default_detail = "The service cannot reach its database securely; please retry later."
    summary = (
        "the database server requires TLS, which DATABASE_URL turns off (sslmode=disable): "
        "remove sslmode=disable or set sslmode=require"
    )


class DatabaseCertificateUntrusted(DatabaseNotReady):
    passing = False
    code = "database_certificate_untrusted"
    default_detail = "The service cannot reach its database securely; please retry later."
    summary = (
        "the database server's TLS certificate is not trusted (it is verified against the system's CA "
        "certificates and the host name in DATABASE_URL): use the host name its certificate names; for a local "
        "server with a self-signed certificate, sslmode=disable"
    )


class DatabaseDeadlineExceeded(DatabaseNotReady):
    """The request's time for the database ran out before an answer came (todo_shared.db.deadline)."""

    code = "database_deadline_exceeded"
    default_detail = "The database did not answer in time; please retry shortly."
    summary = (
        "the request's time for the database ran out (REQUEST_DEADLINE_SECONDS, in Lambda at most the "
        "invocation's time less 3 s): connecting, waiting in the pooler's queue, or waiting for a statement"
    )


class DatabaseStatementTimeout(DatabaseNotReady):
    """The server cancelled a statement that would have outlasted the request's deadline (statement_timeout)."""

    code = "database_statement_timeout"
    default_detail = "The database took too long to answer; please retry shortly."
    summary = "the server cancelled a statement that would have outlasted the request's deadline"


def database_causes() -> tuple[str, ...]:
    """The code of every kind of ``DatabaseNotReady`` that an operator must fix (for documents that list them)."""
    return tuple(kind.code for kind in DatabaseNotReady.__subclasses__() if not kind.passing)
