"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from devtools import postgres
from devtools.migrate import alembic_config, migrate
from todo_shared import models  # noqa: F401  (tables on the metadata
from todo_shared.db.engine import build_engine


def _differences(url: str) -> list[object]:
    engine = build_engine(url, keep_connections=False)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _indexes(url: str, table: str) -> set[str]:
    engine = build_engine(url, keep_connections=False)
    try:
        return {str(index["name"]) for index in inspect(engine).get_indexes(table)}
    finally:
        engine.dispose()


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrated_sqlite_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    assert _differences(url) == []


def test_migrated_postgres_matches_the_models(postgres_database: str) -> None:
    url = postgres.direct_url(postgres_database)
    assert _differences(url) == []
    assert _indexes(url, "users") == {"uq_users_issuer_subject", "uq_users_local_email_lower"}


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_emails_are_unique_among_local_accounts_only(kind: str, tmp_path: Path) -> None:
    """Alembic does not compare an index's WHERE clause: the partial index is checked here."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        reason = postgres.postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
        url = "postgresql://"  # replaced below, inside the fresh database
    with contextlib.ExitStack() as stack:
        if kind == "postgres":
            url = postgres.direct_url(stack.enter_context(postgres.fresh_database()))
        migrate(url)
        engine = build_engine(url, keep_connections=False)
        stack.callback(engine.dispose)
        insert = text(
            "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
            "VALUES (:i, :s, :i, :e, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )
        with engine.begin() as connection:
            connection.execute(insert, {"i": "l1", "s": "local", "e": "carol@example.com"})
            connection.execute(insert, {"i": "b1", "s": "https://auth.example.com", "e": "carol@example.com"})
            connection.execute(insert, {"i": "b2", "s": "https://auth.example.com", "e": "CAROL@example.com"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"i": "l2", "s": "local", "e": "Carol@Example.com"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"i": "b1", "s": "https://other.example.com", "e": "x@example.com"})


def test_downgrade_to_base_and_upgrade_again() -> None:
    reason = postgres.postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres.fresh_database() as name:
        url = postgres.direct_url(name)
        migrate(url)
        engine = build_engine(url, keep_connections=False)
        try:
            with engine.begin() as connection:
                config = alembic_config()
                config.attributes["connection"] = connection
                command.downgrade(config, "base")
            assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        finally:
            engine.dispose()
        migrate(url)
        assert _differences(url) == []
