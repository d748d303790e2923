"""Alembic migrations: they build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
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
    assert "uq_users_email_lower" in _indexes(url, "users")


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
