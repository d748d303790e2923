"""Whether the database's schema is the one this code was written for (the migrations' head).

Alembic records the applied revision in ``alembic_version``; the layer ships without Alembic, so the
revisions are written here too, and a test fails when they differ from ``migrations/versions``. A revision
this code does not know was written by newer code: the database is ahead, and `make migrate` cannot help.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from todo_shared.db.failures import database_failure
from todo_shared.errors import DatabaseAheadOfCode, DatabaseBehindMigrations, DatabaseNotMigrated

# Every revision of migrations/versions, oldest first; the last is the head this code needs.
SCHEMA_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008")
SCHEMA_REVISION = SCHEMA_REVISIONS[-1]


def schema_revision(session: Session) -> str | None:
    """The applied revision, or None when the database has never been migrated."""
    try:
        row = session.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError as error:
        failure = database_failure(error)
        if isinstance(failure, DatabaseNotMigrated):  # no alembic_version table
            return None
        raise
    return None if row is None else str(row[0])


def require_current_schema(session: Session) -> None:
    """Raise ``DatabaseNotMigrated``, ``DatabaseBehindMigrations`` or ``DatabaseAheadOfCode`` unless the schema
    is at the head."""
    revision = schema_revision(session)
    if revision is None:
        raise DatabaseNotMigrated("no alembic_version table")
    if revision not in SCHEMA_REVISIONS:
        raise DatabaseAheadOfCode(
            f"the schema is at revision {revision}, this code knows {SCHEMA_REVISIONS[0]} to {SCHEMA_REVISION}"
        )
    if revision != SCHEMA_REVISION:
        raise DatabaseBehindMigrations(
            f"the schema is at revision {revision}, this code needs {SCHEMA_REVISION}"
        )
