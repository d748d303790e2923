"""Shared test state: the test secret, the database a test run uses, empty databases for migrations, and
resetting cached app state.

Kept out of conftest.py so tests can import it (importing ``tests.conftest`` would load conftest twice).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools import postgres
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import reset_engine

# Random-looking: the production settings check refuses guessable secrets (sequences, words, repeats).
TEST_SECRET = "test-secret-Qm7vX2kP9rT4wZ8nB3hJ6fL1cY5dG0sA"


@dataclass(frozen=True)
class Backend:
    name: str
    url: str  # what the app uses
    direct_url: str  # for migrations and checks behind the app's back


def reset_app_state() -> None:
    """Forget cached settings and the engine (after changing the environment)."""
    get_settings.cache_clear()
    reset_engine()


@contextmanager
def settings_from(**values: str) -> Iterator[None]:
    """The app's settings with these environment variables set (cached settings reset on the way in and out)."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    reset_app_state()


@contextmanager
def empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of ``kind`` ("sqlite" or "postgres"), for a test to migrate itself."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    reason = postgres.postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with postgres.fresh_database() as name:
        yield postgres.direct_url(name)


def require_private_stack() -> None:
    """Skip the test (fail it when PostgreSQL is required: TODO_REQUIRE_POSTGRES=1 or CI) unless a private
    PostgreSQL cluster (devtools/private_postgres.py) and PgBouncer can run here."""
    from devtools import private_postgres

    reason = private_postgres.unavailable_reason()
    if reason is None and postgres.pgbouncer_binary() is None:
        reason = "pgbouncer is not installed (Debian package 'pgbouncer'; .ci/run installs it)"
    if reason is None:
        return
    if os.environ.get("TODO_REQUIRE_POSTGRES") == "1" or os.environ.get("CI") == "true":
        pytest.fail(f"required but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)
