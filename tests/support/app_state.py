"""Shared test state: the test secret, the database a test run uses, and resetting cached app state.

Kept out of conftest.py so tests can import it (importing ``tests.conftest`` would load conftest twice).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from todo_shared.config.settings import get_settings
from todo_shared.db.engine import reset_engine

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Backend:
    name: str
    url: str  # what the app uses
    direct_url: str  # for migrations and checks behind the app's back


def reset_app_state() -> None:
    """Forget cached settings and the engine (after changing the environment)."""
    get_settings.cache_clear()
    reset_engine()


def use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    reset_app_state()
