"""A read holds its server connection only for its statements: its transaction ends (its ROLLBACK sent) before
the answer is built from what it read, not after the answer is serialised and sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend
from todo_shared.tasks.schemas import TaskPublic
from todo_shared.thirdparty.pg8000 import PipelinedConnection

pytestmark = pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True)


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


@pytest.fixture
def order(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What happened, in order: "ended" when a transaction is rolled back, "answer" when a task is answered."""
    events: list[str] = []
    rollback, answer = PipelinedConnection.rollback, TaskPublic.of

    def ended(self: PipelinedConnection) -> None:
        events.append("ended")
        rollback(self)

    def answered(task: Any) -> TaskPublic:
        events.append("answer")
        return answer(task)

    monkeypatch.setattr(PipelinedConnection, "rollback", ended)
    monkeypatch.setattr(TaskPublic, "of", answered)
    return events


@pytest.mark.parametrize("path", ["/api/tasks", "/api/{user_id}/tasks", "/api/tasks/{task_id}"])
def test_a_read_ends_its_transaction_before_its_answer_is_built(
    api: httpx.Client, account: Account, order: list[str], path: str
) -> None:
    created = api.post("/api/tasks", json={"title": "Read me"}, headers=account.headers)
    assert created.status_code == 201
    order.clear()
    url = path.format(user_id=account.user_id, task_id=created.json()["id"])
    response = api.get(url, headers=account.headers)
    assert response.status_code == 200
    assert "answer" in order
    assert "ended" in order[: order.index("answer")]
