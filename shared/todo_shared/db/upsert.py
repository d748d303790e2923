"""``INSERT … ON CONFLICT`` for the two databases this API runs on (PostgreSQL and SQLite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An insert construct with ``on_conflict_do_update``/``on_conflict_do_nothing`` for the session's database."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    if bind.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {bind.dialect.name}")
