"""SQLModel tables, and the public shape of a user.

Timestamps are timezone-aware UTC in every database: ``UTCDateTime`` stores them as ``timestamptz`` on
PostgreSQL and gives them back with their offset on SQLite, which keeps no zone.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
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
# The table only: what the API reads and writes (bodies, answers, the rules of each value) is in
# todo_shared.tasks.schemas and todo_shared.tasks.fields.

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
CATEGORY_MAX_LENGTH = 50
# Priority order (low < medium < high) is the pair (priority = 'high', priority): false < true, then
# 'low' < 'medium'. The index and the list query use this same text, so PostgreSQL reads the order from the
# index (and Alembic compares it: PostgreSQL gives a CASE expression back reformatted).
PRIORITY_IS_HIGH_SQL = "(priority = 'high')"
# A task's tags: a JSON array of strings (jsonb on PostgreSQL), written with the task in one statement.
TAGS_TYPE = JSON().with_variant(JSONB(), "postgresql")
# The tag filter's index on PostgreSQL: GIN over each task's (owner, lower-cased tag) keys, built by a SQL
# function the migration creates (0007). The list query calls it on both sides, so the keys always agree.
TAG_KEYS_FUNCTION = "task_tag_keys"


# An Idempotency-Key: at most this many characters (a UUID has 36).
IDEMPOTENCY_KEY_MAX_LENGTH = 255


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("priority IN ('low', 'medium', 'high')", name="ck_tasks_priority"),
        # Each list ordering has an index led by user_id and ending in id (the tie-breaker); PostgreSQL scans
        # them forwards for asc and backwards for desc. The title and tag indexes follow the class (they need
        # columns).
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
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX_LENGTH)
    completed: bool = False
    priority: Priority = Field(default=Priority.MEDIUM, sa_type=String(10))
    due_date: datetime | None = Field(default=None, sa_type=UTCDateTime)
    tags: list[str] = Field(
        default_factory=list, sa_column=Column(TAGS_TYPE, nullable=False, server_default=text("'[]'"))
    )
    category: str | None = Field(default=None, max_length=CATEGORY_MAX_LENGTH)
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
# The tag filter (PostgreSQL only; SQLite scans the owner's tasks).
Index(
    "ix_tasks_user_tags",
    getattr(func, TAG_KEYS_FUNCTION)(_tasks_table.c.user_id, _tasks_table.c.tags),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a create sent with an ``Idempotency-Key``, written in the create's own transaction
    and replayed for the same key and body for ``IDEMPOTENCY_RETENTION`` (docs/adr/0038-idempotency-keys.md)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    user_id: str = Field(
        sa_column=Column(
            String(64), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    key: str = Field(primary_key=True, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    # SHA-256 of the request's body, hex: the same key with another body is refused.
    fingerprint: str = Field(max_length=64, nullable=False)
    status_code: int = Field(nullable=False)
    # The answer's JSON body exactly as first sent, and its headers to repeat (the ETag), as a JSON object.
    body: str = Field(nullable=False)
    headers: str = Field(nullable=False)
    created_at: datetime = _timestamp_column()


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

    # A field with a default is still always present in an answer: the document lists it as required (typed
    # clients then read it as non-optional). SQLModel types model_config as its own TypedDict.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)  # type: ignore[assignment]

    id: str
    email: str | None = Field(
        description="Always set for accounts created by signup; null for a frontend's "
        "user whose token carried no usable email."
    )
    name: str | None
    created_at: datetime
