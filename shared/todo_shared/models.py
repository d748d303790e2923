"""SQLModel tables and their API shapes.

Timestamps are timezone-aware UTC in every database: ``UTCDateTime`` stores them as ``timestamptz`` on
PostgreSQL and gives them back with their offset on SQLite, which keeps no zone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, func
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


PRIORITY_VALUES = tuple(item.value for item in Priority)


class User(SQLModel, table=True):
    """An account: created here by signup, or first seen through a Better Auth token (no password)."""

    __tablename__ = "users"

    # Text, not UUID: Better Auth ids are 32-character alphanumerics.
    id: str = Field(default_factory=new_user_id, primary_key=True, max_length=64)
    email: str = Field(max_length=320, nullable=False)
    password_hash: str | None = Field(default=None, max_length=100)
    name: str | None = Field(default=None, max_length=255)
    created_at: datetime = _timestamp_column()
    updated_at: datetime = _timestamp_column()


# Case-insensitive uniqueness enforced by the database, also under concurrent signups.
Index("uq_users_email_lower", func.lower(User.__table__.c.email), unique=True)  # type: ignore[attr-defined]


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("priority IN ('low', 'medium', 'high')", name="ck_tasks_priority"),
        # The list queries filter by user and sort by one column, ties broken by id.
        Index("ix_tasks_user_created", "user_id", "created_at", "id"),
        Index("ix_tasks_user_updated", "user_id", "updated_at", "id"),
        Index("ix_tasks_user_due", "user_id", "due_date", "id"),
        Index("ix_tasks_user_completed", "user_id", "completed", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(
        sa_column=Column(String(64), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    title: str = Field(max_length=200, nullable=False)
    description: str | None = Field(default=None, max_length=1000)
    completed: bool = Field(default=False, nullable=False)
    priority: str = Field(default=Priority.MEDIUM.value, max_length=10, nullable=False)
    due_date: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = _timestamp_column()
    updated_at: datetime = _timestamp_column()
