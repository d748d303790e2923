"""SQLModel tables and their API shapes.

Timestamps are timezone-aware UTC in every database: ``UTCDateTime`` stores them as ``timestamptz`` on
PostgreSQL and gives them back with their offset on SQLite, which keeps no zone.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict, StrictBool, field_validator
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_user_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def _timestamp_column(*, index: bool = False) -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False, index=index)


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# Identities are per issuer (docs/adr/0016-identities-per-issuer.md). Local accounts (signup here; our tokens
# name them) have this issuer and their own id as subject. A frontend's user (its HS256 tokens and Better Auth's
# name one user by one id, ``sub``) has the frontend's namespace as issuer: BETTER_AUTH_URL when set, else
# ``FRONTEND_ISSUER``. Migrations spell the markers out.
LOCAL_ISSUER = "local"
FRONTEND_ISSUER = "frontend"
# Better Auth users created before accounts were keyed by issuer: the first frontend token of their subject
# adopts the account into its namespace (``todo_shared.auth.users``), as it adopts ``FRONTEND_ISSUER``'s once
# BETTER_AUTH_URL is set.
LEGACY_BETTER_AUTH_ISSUER = "legacy-better-auth"


class User(SQLModel, table=True):
    """An account: created here by signup (local), or first seen through a frontend's token (no password,
    and an email only when the token carried a usable one)."""

    __tablename__ = "users"

    # Text, not UUID: a Better Auth user's id is their Better Auth id (32 alphanumerics) when it is free.
    id: str = Field(default_factory=new_user_id, primary_key=True, max_length=64)
    issuer: str = Field(max_length=255, nullable=False)
    subject: str = Field(max_length=64, nullable=False)
    email: str | None = Field(default=None, max_length=320, nullable=True)
    password_hash: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=255)
    created_at: datetime = _timestamp_column()
    updated_at: datetime = _timestamp_column()


_users_table = User.__table__  # type: ignore[attr-defined]
# The token check's lookup: one row per identity, also under concurrent first requests.
Index("uq_users_issuer_subject", _users_table.c.issuer, _users_table.c.subject, unique=True)
# Emails are unique case-insensitively among local accounts only (signup's 409, also under a race); a Better
# Auth user may share any email. The literal predicate is also in the lookup by email, which PostgreSQL needs
# to use a partial index.
LOCAL_ISSUER_SQL = f"issuer = '{LOCAL_ISSUER}'"
Index(
    "uq_users_local_email_lower",
    func.lower(_users_table.c.email),
    unique=True,
    sqlite_where=text(LOCAL_ISSUER_SQL),
    postgresql_where=text(LOCAL_ISSUER_SQL),
)


# --- Tasks -------------------------------------------------------------------------------------------------
# The model family (as in the FastAPI full-stack template): TaskBase holds the fields a client writes and the
# rules they share; TaskCreate (POST), TaskReplace (PUT) and TaskUpdate (PATCH) are request bodies; Task is
# the table; TaskPublic and TasksPublic are what the API answers.

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
# Due dates must fall in this window (UTC). The bounds keep every value representable once converted to
# any database time zone (pg8000 cannot read back year 10000 or pre-1970 local-mean-time offsets).
DUE_DATE_MIN = datetime(1970, 1, 1, tzinfo=UTC)
DUE_DATE_MAX = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)
_DUE_DATE_RANGE = "Must be between 1970-01-01 and 9999-12-30 (UTC)."
# ISO 8601 extended format as browsers and RFC 3339 write it: a date, optionally a time (seconds and up to
# six fractional digits optional) and an offset (Z or ±HH:MM).
_ISO_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?)?"
)
# Priority order (low < medium < high) is the pair (priority = 'high', priority): false < true, then
# 'low' < 'medium'. The index and the list query use this same text, so PostgreSQL reads the order from the
# index (and Alembic compares it: PostgreSQL gives a CASE expression back reformatted).
PRIORITY_IS_HIGH_SQL = "(priority = 'high')"
# Request bodies refuse unknown fields (a typo such as "dueDate" must not be dropped silently). SQLModel types
# model_config as its own TypedDict, which pydantic's ConfigDict does not satisfy.
_REQUEST_CONFIG = ConfigDict(extra="forbid")
# Response bodies: a field with a default is still always present in an answer, so the document lists it as
# required (typed clients then read it as non-optional).
_RESPONSE_CONFIG = ConfigDict(json_schema_serialization_defaults_required=True)


def clean_text(value: str) -> str:
    """Refuse text no column may hold (NUL, unpaired surrogates) and trim surrounding whitespace."""
    if "\x00" in value:
        raise ValueError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Must be valid Unicode text (no unpaired surrogates).") from None
    return value.strip()


def parse_due_date(value: Any) -> datetime | None:
    """An ISO 8601 string (or a datetime from code) as an aware UTC datetime.

    A date without a time means midnight UTC of that day; a date-time without an offset is taken as UTC.
    Numbers are refused (no Unix timestamps), as is anything outside ``DUE_DATE_MIN``…``DUE_DATE_MAX``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        if _ISO_DATE_TIME.fullmatch(value) is None:
            raise ValueError("Must be an ISO 8601 date (2026-12-01) or date-time (2026-12-01T17:00:00Z).")
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError("Must be a real calendar date and time of day.") from None
    else:
        raise ValueError("Must be an ISO 8601 date or date-time string.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(_DUE_DATE_RANGE) from None
    if not DUE_DATE_MIN <= moment <= DUE_DATE_MAX:
        raise ValueError(_DUE_DATE_RANGE)
    return moment


class TaskBase(SQLModel):
    """The fields a client writes, and the rules every task body shares."""

    title: str = Field(
        max_length=TITLE_MAX_LENGTH,
        description="1–200 characters once surrounding whitespace is trimmed.",
        schema_extra={"examples": ["Buy milk"]},
    )
    description: str | None = Field(
        default=None,
        max_length=DESCRIPTION_MAX_LENGTH,
        description="Up to 1000 characters once trimmed; empty or whitespace-only becomes null.",
    )
    completed: StrictBool = Field(default=False, description="A JSON boolean (no 0/1 or strings).")
    priority: Priority = Field(default=Priority.MEDIUM, sa_type=String(10))
    due_date: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description=(
            "ISO 8601 date or date-time. A date alone means 00:00 UTC that day; a date-time without an "
            "offset is taken as UTC. Answered in UTC with an offset."
        ),
        schema_extra={"examples": ["2026-12-01T17:00:00Z"]},
    )

    @field_validator("title", mode="before")
    @classmethod
    def _clean_title(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str schema refuses it
        cleaned = clean_text(value)
        if not cleaned:
            raise ValueError("Must not be empty or only whitespace.")
        return cleaned

    @field_validator("description", mode="before")
    @classmethod
    def _clean_description(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return clean_text(value) or None

    @field_validator("due_date", mode="before")
    @classmethod
    def _parse_due_date(cls, value: Any) -> Any:
        return parse_due_date(value)


# --- What the request schemas say, exactly as the validators above decide (checked by tests/unit/test_models_schema.py
# and by schemathesis in tests/system/test_fuzz_schema.py) -------------------------------------------------

# Python's whitespace (str.isspace, what str.strip removes), spelled out: JSON Schema's \s is ECMAScript's, a
# different set (it has U+FEFF and lacks U+001C-U+001F and U+0085).
WHITESPACE_CLASS = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A title: no NUL, and at least one character that trimming keeps.
TITLE_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE_CLASS}][^\x00]*$"
DESCRIPTION_PATTERN = r"^[^\x00]*$"


def _due_date_pattern() -> str:
    """What ``parse_due_date`` accepts, as a regular expression: a real calendar date from 1970 to 9999, an
    optional time (23:59:59.999999 at most) and offset (under 24 hours). At the two ends of the range the
    pattern takes only what is inside it whatever the offset: 1970-01-01 without a positive offset, 9999-12-30
    without a negative one, never 9999-12-31."""
    day31 = "(?:0[1-9]|[12][0-9]|3[01])"
    day30 = "(?:0[1-9]|[12][0-9]|30)"
    feb = "02-(?:0[1-9]|1[0-9]|2[0-8])"
    jan_to_nov = f"(?:01-{day31}|{feb}|(?:0[3578]|10)-{day31}|(?:0[469]|11)-{day30})"
    any_day = f"(?:{jan_to_nov}|12-{day31})"
    years_between = "(?:197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
    leap_day = (
        "(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)"
        "-02-29"
    )
    dates = (
        f"(?:{years_between}-{any_day}|{leap_day}"
        f"|1970-(?:01-(?:0[2-9]|[12][0-9]|3[01])|{feb}|(?:0[3578]|1[02])-{day31}|(?:0[469]|11)-{day30})"
        f"|9999-(?:{jan_to_nov}|12-(?:0[1-9]|[12][0-9])))"
    )
    time = r"[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    offset = "(?:[01][0-9]|2[0-3]):[0-5][0-9]"
    return (
        f"^(?:{dates}(?:{time}(?:[Zz]|[+-]{offset})?)?"
        rf"|1970-01-01(?:{time}(?:[Zz]|-{offset}|\+00:00)?)?"
        rf"|9999-12-30(?:{time}(?:[Zz]|\+{offset}|-00:00)?)?)$"
    )


DUE_DATE_PATTERN = _due_date_pattern()


def _string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The string schema of a property (``anyOf: [string, null]`` for a nullable one)."""
    return next((each for each in prop.get("anyOf", []) if each.get("type") == "string"), prop)


def _request_schema(schema: dict[str, Any], *, defaults: bool) -> None:
    """A write body's schema: the patterns the validators apply, and no ``default`` keyword.

    A property with a default is optional in a request, but openapi-typescript (with its default
    ``defaultNonNullable``) types every property that has a ``default`` as required, so that a create with a title
    only would not compile. The default is said in words instead (``defaults``); without it absence means
    "unchanged". ``due_date`` has the pattern of what is accepted (``format: date-time`` would say RFC 3339,
    which requires an offset and allows years 0000-9999 and leap seconds).
    """
    properties: dict[str, dict[str, Any]] = schema["properties"]
    for prop in properties.values():
        if "default" in prop:
            value = prop.pop("default")
            if defaults and value is not None:
                said = f"Default: {json.dumps(value)}."
                prop["description"] = f"{prop['description']} {said}" if "description" in prop else said
    _string_branch(properties["title"])["pattern"] = TITLE_PATTERN
    _string_branch(properties["description"])["pattern"] = DESCRIPTION_PATTERN
    due = _string_branch(properties["due_date"])
    due.pop("format", None)
    due["pattern"] = DUE_DATE_PATTERN


def _create_schema(schema: dict[str, Any]) -> None:
    _request_schema(schema, defaults=True)


def _update_schema(schema: dict[str, Any]) -> None:
    _request_schema(schema, defaults=False)


def _ignored_field(
    description: str = "Accepted with any value and ignored: a read-only field of the task, as sent back.",
) -> Any:
    return Field(default=None, exclude=True, description=description)


class TaskReadOnlyFields(SQLModel):
    """The task's own read-only fields, which a frontend sends back with the task it read: accepted, whatever
    their values, and never applied (``exclude``: they are not part of what is written).

    The request schema does not mark them ``readOnly``: openapi-typescript's ``--read-write-markers`` would then
    type them as ``never`` in a request body, so that a frontend could not send the task back as read. They are
    ``readOnly`` in ``TaskPublic``, where they come from."""

    id: Any = _ignored_field()
    user_id: Any = _ignored_field()
    created_at: Any = _ignored_field()
    updated_at: Any = _ignored_field()
    version: Any = _ignored_field(
        "Accepted with any value and ignored: send the task's ETag in If-Match to write only at that version."
    )


class TaskCreate(TaskReadOnlyFields, TaskBase):
    """``POST`` body: ``title`` required, the rest optional with their defaults."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_create_schema)  # type: ignore[assignment]


class TaskUpdate(TaskReadOnlyFields, TaskBase):
    """``PUT`` and ``PATCH`` body: the fields given change, the others stay. ``description`` and ``due_date``
    may be set to null; ``title``, ``completed`` and ``priority`` may not."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_update_schema)  # type: ignore[assignment]

    title: str = Field(default=None, max_length=TITLE_MAX_LENGTH)
    completed: StrictBool = Field(default=None)
    priority: Priority = Field(default=None)
    description: str | None = Field(
        default=None,
        max_length=DESCRIPTION_MAX_LENGTH,
        description="Up to 1000 characters once trimmed; empty, whitespace-only or null clears it.",
    )
    due_date: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="ISO 8601 date or date-time, or null to clear it (see TaskCreate).",
    )

    @field_validator("title", "completed", "priority", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Must not be null.")
        return value


class TaskCompletion(SQLModel):
    """Optional body of ``PATCH …/{id}/complete``: sets the state (no body toggles it)."""

    model_config = _REQUEST_CONFIG  # type: ignore[assignment]

    completed: StrictBool


class Task(TaskBase, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("priority IN ('low', 'medium', 'high')", name="ck_tasks_priority"),
        # Each list ordering has an index led by user_id and ending in id (the tie-breaker); PostgreSQL scans
        # them forwards for asc and backwards for desc. The title index follows the class (it needs columns).
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
        Index("ix_tasks_user_due", "user_id", "due_date", "id"),
        Index("ix_tasks_user_priority", "user_id", text(PRIORITY_IS_HIGH_SQL), "priority", "id"),
        Index("ix_tasks_user_completed", "user_id", "completed", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = _timestamp_column()
    updated_at: datetime = _timestamp_column()
    # Optimistic concurrency: every write that changes the task adds one, in the UPDATE that checks it.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"}, nullable=False)


_tasks_table = Task.__table__  # type: ignore[attr-defined]
# Title order: ASCII case-insensitive, then code point order. PostgreSQL only: SQLite has no "C" collation
# (its lower() and BINARY give the same order without an index, which is fine for local use).
Index(
    "ix_tasks_user_title",
    _tasks_table.c.user_id,
    func.lower(_tasks_table.c.title.collate("C")),
    _tasks_table.c.id,
).ddl_if(dialect="postgresql")


SERVER_MANAGED_FIELDS = ("id", "user_id", "created_at", "updated_at", "version")


def _public_task_schema(schema: dict[str, Any]) -> None:
    """The fields the server manages are ``readOnly``: write bodies may carry them, but they are never applied."""
    for name in SERVER_MANAGED_FIELDS:
        schema["properties"][name]["readOnly"] = True


class TaskPublic(TaskBase):
    """A task as the API answers it; timestamps are UTC with an offset."""

    model_config = ConfigDict(  # type: ignore[assignment]
        json_schema_serialization_defaults_required=True, json_schema_extra=_public_task_schema
    )

    id: int
    user_id: str
    created_at: datetime
    updated_at: datetime
    version: int = Field(
        description=(
            "1 when created, one more after every write that changes the task. The task's ETag is this "
            'number in double quotes (e.g. "3"); send it back in If-Match to refuse lost updates.'
        ),
        schema_extra={"examples": [1]},
    )


class TasksPublic(SQLModel):
    """One page of a task list; ``total`` counts every task matching the filters."""

    model_config = _RESPONSE_CONFIG  # type: ignore[assignment]

    tasks: list[TaskPublic]
    total: int
    limit: int
    offset: int


# --- Authentication state (revocation, login throttling) and the public user shape ------------------------


class RevokedToken(SQLModel, table=True):
    """A token logged out before it expired; kept until it would have expired anyway (then pruned)."""

    __tablename__ = "revoked_tokens"
    __table_args__ = (Index("ix_revoked_tokens_expires_at", "expires_at"),)

    # "jti:<jti>", or "sig:<sha256 of the signed part>" for tokens without a jti (Better Auth's).
    token_key: str = Field(primary_key=True, max_length=100)
    user_id: str = Field(max_length=64, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime = _timestamp_column()


class LoginThrottle(SQLModel, table=True):
    """Login attempts per email digest or source address in the current fixed window."""

    __tablename__ = "login_throttle"
    __table_args__ = (Index("ix_login_throttle_window_started_at", "window_started_at"),)

    # "email:<sha256 of the normalised email>" or "ip:<source address>".
    key: str = Field(primary_key=True, max_length=100)
    attempts: int = Field(default=0, nullable=False)
    window_started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


# A session id as AuthSession makes them (uuid4().hex): what a token's sid or a path must look like before
# any lookup (PostgreSQL refuses a NUL byte in text with an error, not a miss).
SESSION_ID_PATTERN = re.compile(r"[0-9a-f]{32}")  # fullmatch: "$" would let a trailing newline in


class AuthSession(SQLModel, table=True):
    """One sign-in (signup or login) on one device, renewed by refresh tokens until it ends or expires."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        Index("ix_auth_sessions_user_id", "user_id"),
        Index("ix_auth_sessions_expires_at", "expires_at"),
    )

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = _timestamp_column()
    last_used_at: datetime = _timestamp_column()
    # Sliding: moved forward by every refresh, never past absolute_expires_at.
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    absolute_expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    user_agent: str | None = Field(default=None, max_length=255)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(SQLModel, table=True):
    """A refresh token of a session, by SHA-256 digest (the value itself is never stored).

    Once used it is dead; its successor is kept sealed with the used token (only its holder can unseal it),
    so a second refresh within the grace window answers the same successor instead of raising the alarm.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: str = Field(
        sa_column=Column(String(32), ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = _timestamp_column()
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    successor_sealed: str | None = Field(default=None, max_length=100)


class UserPublic(SQLModel):
    """A user as the API shows it (never the password hash)."""

    model_config = _RESPONSE_CONFIG  # type: ignore[assignment]

    id: str
    email: str | None = Field(
        description="Always set for accounts created by signup; null for a frontend's "
        "user whose token carried no usable email."
    )
    name: str | None
    created_at: datetime
