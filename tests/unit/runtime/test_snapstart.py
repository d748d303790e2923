"""SnapStart hooks: no open connection survives into the snapshot, and randomness differs after restore."""

from __future__ import annotations

import random
import sys
import types

import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from tests.support.app_state import Backend
from todo_shared.db.engine import get_engine
from todo_shared.runtime import snapstart


def test_before_snapshot_closes_every_pooled_connection(database: Backend) -> None:
    engine = get_engine()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() >= 1  # earlier tests may have left more in the pool
    snapstart.before_snapshot()
    assert pool.checkedin() == 0
    assert get_engine() is not engine  # rebuilt on first use after restore
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_after_restore_reseeds_random() -> None:
    random.seed(1234)
    snapshot_state = random.getstate()
    first_container = [random.random() for _ in range(3)]
    random.setstate(snapshot_state)  # a second container restored from the same snapshot
    snapstart.after_restore()
    assert [random.random() for _ in range(3)] != first_container


def test_hooks_register_with_the_runtime_library(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: dict[str, object] = {}
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = lambda hook: registered.setdefault("before", hook)  # type: ignore[attr-defined]
    library.register_after_restore = lambda hook: registered.setdefault("after", hook)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    assert snapstart.register_snapstart_hooks() is True
    assert registered == {"before": snapstart.before_snapshot, "after": snapstart.after_restore}


def test_hooks_are_skipped_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as off Lambda
    assert snapstart.register_snapstart_hooks() is False


def test_building_a_lambda_handler_registers_the_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi import FastAPI

    from todo_shared.runtime.lambda_handler import make_lambda_handler

    registered: list[object] = []
    library = types.ModuleType("snapshot_restore_py")
    library.register_before_snapshot = registered.append  # type: ignore[attr-defined]
    library.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", library)
    make_lambda_handler(FastAPI())
    assert registered == [snapstart.before_snapshot, snapstart.after_restore]
