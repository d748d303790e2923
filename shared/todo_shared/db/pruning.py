"""Deleting expired rows in small batches, without waiting for other transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

PRUNE_BATCH = 500


def delete_expired(session: Session, key: Any, expired: ColumnElement[bool], batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` rows matching ``expired``, named by their primary ``key`` column. The caller
    commits. On PostgreSQL rows locked by another transaction are skipped (``SKIP LOCKED``), so concurrent
    prunes never wait for each other or deadlock."""
    victims = select(key).where(expired).limit(batch).with_for_update(skip_locked=True)
    result = session.exec(delete(key.class_).where(col(key).in_(victims)))
    return int(result.rowcount)
