"""For the migration and index tests: a throwaway engine, a downgrade, and PostgreSQL's plans for the
statements the code sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from sqlalchemy import Engine, event

from devtools.migrate import alembic_config
from todo_shared.db.engine import build_engine

Sent = list[tuple[str, Any]]


@contextmanager
def scratch_engine(url: str) -> Iterator[Engine]:
    """An engine that keeps no connection, disposed afterwards."""
    engine = build_engine(url, keep_connections=False)
    try:
        yield engine
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    with scratch_engine(url) as engine, engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@contextmanager
def statements_sent(engine: Engine, table: str) -> Iterator[Sent]:
    """The statements (and their parameters) that read ``table``, as the code sent them meanwhile."""
    sent: Sent = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if f"FROM {table}" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(engine: Engine, sent: Sent) -> list[str]:
    """PostgreSQL's plan (EXPLAIN) of each statement sent, with its parameters."""
    with engine.connect() as connection:
        return [
            "\n".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {sql}", parameters))
            for sql, parameters in sent
        ]
