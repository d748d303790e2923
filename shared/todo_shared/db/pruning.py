"""Deleting expired rows in small batches, without waiting for other transactions, now and then."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from todo_shared.observability import logger

PRUNE_BATCH = 500
# Expired state (revocations, throttle windows, sessions, idempotency keys) is deleted by about one request in
# PRUNE_ONE_IN of those that write it.
PRUNE_ONE_IN = 32


def delete_expired(
    session: Session, key: Any | tuple[Any, ...], expired: ColumnElement[bool], batch: int = PRUNE_BATCH
) -> int:
    """Delete up to ``batch`` rows matching ``expired``, named by their primary ``key``: a column, or a tuple
    of columns for a composite key. The caller commits. On PostgreSQL rows locked by another transaction are
    skipped (``SKIP LOCKED``), so concurrent prunes never wait for each other or deadlock."""
    attributes = key if isinstance(key, tuple) else (key,)
    columns = [col(attribute) for attribute in attributes]
    victims = select(*columns).where(expired).limit(batch).with_for_update(skip_locked=True)
    named = columns[0] if len(columns) == 1 else tuple_(*columns)
    result = session.exec(delete(attributes[0].class_).where(named.in_(victims)))
    return int(result.rowcount)


def prune_occasionally(session: Session, prune: Callable[[Session, datetime], int]) -> None:
    """Delete expired state now and then, in its own transaction; a failure here never fails the request."""
    if secrets.randbelow(PRUNE_ONE_IN):
        return
    try:
        prune(session, datetime.now(UTC))
        session.commit()
    except DBAPIError:
        session.rollback()
        logger.warning("pruning expired state failed", extra={"prune": getattr(prune, "__module__", "")})
