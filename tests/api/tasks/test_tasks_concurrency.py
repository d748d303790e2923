"""Concurrent writes: afterwards the database holds exactly what was acknowledged, and no write is lost.

Requests are released together by a barrier (``run_concurrently``, one thread each), through both clients and
on every database; the rows are then read behind the API's back. PostgreSQL (directly and through
PgBouncer's transaction mode) serialises writes of one task with a row lock; SQLite has no row locks, and
there the compare-and-set on ``version`` with a retry does the same job, so every test holds there too.

Parallel duplicate signups (one 201, the rest 409, one row) are in test_auth_api.py
(``test_simultaneous_signups_with_one_email_give_one_201``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from tests.support.accounts import Account, create_account, direct_engine
from tests.support.app_state import Backend
from tests.support.auth import run_concurrently
from todo_shared.models import Task

pytestmark = pytest.mark.reliability

Call = Callable[[], httpx.Response]


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _create(api: httpx.Client, account: Account, title: str = "A task") -> dict[str, Any]:
    response = api.post("/api/tasks", json={"title": title}, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _request(api: httpx.Client, method: str, path: str, headers: dict[str, str], body: Any = None) -> Call:
    return functools.partial(api.request, method, path, json=body, headers=headers)


def _stored_tasks(database: Backend, user_id: str) -> list[Task]:
    with Session(direct_engine(database.direct_url)) as session:
        return list(session.exec(select(Task).where(col(Task.user_id) == user_id).order_by(col(Task.id))))


def _stored(database: Backend, task_id: int) -> Task | None:
    with Session(direct_engine(database.direct_url)) as session:
        return session.get(Task, task_id)


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


def test_parallel_creates_by_several_users_store_exactly_the_acknowledged_tasks(
    api: httpx.Client, database: Backend
) -> None:
    accounts = [create_account(database) for _ in range(3)]
    per_user = 5
    calls = [
        _request(api, "POST", "/api/tasks", account.headers, {"title": f"task {n}"})
        for account in accounts
        for n in range(per_user)
    ]
    responses = run_concurrently(calls)
    assert _statuses(responses) == [201] * len(calls), [response.text for response in responses]
    bodies = [response.json() for response in responses]
    assert len({body["id"] for body in bodies}) == len(calls)
    for account in accounts:
        acknowledged = {
            (body["id"], body["title"], body["version"])
            for body in bodies
            if body["user_id"] == account.user_id
        }
        stored = {(task.id, task.title, task.version) for task in _stored_tasks(database, account.user_id)}
        assert stored == acknowledged
        assert {title for _, title, _ in stored} == {f"task {n}" for n in range(per_user)}


def test_parallel_updates_by_several_users_lose_no_write(api: httpx.Client, database: Backend) -> None:
    accounts = [create_account(database) for _ in range(3)]
    writers = 4
    tasks = {account.user_id: _create(api, account) for account in accounts}
    calls: list[Call] = []
    for account in accounts:
        url = f"/api/tasks/{tasks[account.user_id]['id']}"
        for writer in range(writers):
            title = f"writer {writer}"
            if writer % 2:
                calls.append(_request(api, "PATCH", url, account.headers, {"title": title}))
            else:
                body = {
                    "title": title,
                    "description": "put",
                    "completed": True,
                    "priority": "low",
                    "due_date": None,
                }
                calls.append(_request(api, "PUT", url, account.headers, body))
    responses = run_concurrently(calls)
    assert _statuses(responses) == [200] * len(calls), [response.text for response in responses]
    for account in accounts:
        acknowledged = sorted(
            (response.json() for response in responses if response.json()["user_id"] == account.user_id),
            key=lambda body: body["version"],
        )
        # Each write saw the one before it: versions 2, 3, … and updated_at moving forward with them.
        assert [body["version"] for body in acknowledged] == list(range(2, writers + 2))
        moments = [body["updated_at"] for body in acknowledged]
        assert moments == sorted(set(moments))
        last = acknowledged[-1]
        [stored] = _stored_tasks(database, account.user_id)
        assert (stored.title, stored.description, stored.completed, stored.version) == (
            last["title"],
            last["description"],
            last["completed"],
            writers + 1,
        )


def test_parallel_toggles_of_one_task_each_count(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    task = _create(api, account)
    toggles = 7
    url = f"/api/tasks/{task['id']}/complete"
    responses = run_concurrently([_request(api, "PATCH", url, account.headers) for _ in range(toggles)])
    assert _statuses(responses) == [200] * toggles, [response.text for response in responses]
    bodies = sorted((response.json() for response in responses), key=lambda body: body["version"])
    # From "not completed" at version 1, each toggle flips it: even versions are completed, odd are not.
    assert [(body["version"], body["completed"]) for body in bodies] == [
        (version, version % 2 == 0) for version in range(2, toggles + 2)
    ]
    stored = _stored(database, task["id"])
    assert stored is not None
    assert (stored.completed, stored.version) == (True, toggles + 1)


def test_parallel_completion_sets_of_one_task_end_in_an_acknowledged_state(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}/complete"
    wanted = [True, False] * 4
    calls = [_request(api, "PATCH", url, account.headers, {"completed": value}) for value in wanted]
    responses = run_concurrently(calls)
    assert _statuses(responses) == [200] * len(calls), [response.text for response in responses]
    bodies = [response.json() for response in responses]
    # A set is a set: each answer shows the value it asked for.
    assert [body["completed"] for body in bodies] == wanted
    # Each change flips the value and adds one to the version, from "not completed" at version 1: every
    # answer is a state the task really went through (even versions completed, odd ones not).
    states = {(body["version"], body["completed"]) for body in bodies}
    assert all(completed == (version % 2 == 0) for version, completed in states), states
    stored = _stored(database, task["id"])
    assert stored is not None
    assert (stored.version, stored.completed) == max(states)
    # No change went unacknowledged: the versions answered are all the task went through.
    assert {version for version, _ in states} - {1} == set(range(2, stored.version + 1))


def test_parallel_completion_sets_with_one_if_match_let_exactly_one_through(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}/complete"
    headers = {**account.headers, "If-Match": '"1"'}
    calls = [_request(api, "PATCH", url, headers, {"completed": True}) for _ in range(6)]
    responses = run_concurrently(calls)
    assert _statuses(responses) == [200] + [412] * 5, [response.text for response in responses]
    for response in responses:
        assert response.headers["etag"] == '"2"'
        if response.status_code == 412:
            assert response.json()["code"] == "precondition_failed"
    stored = _stored(database, task["id"])
    assert stored is not None
    assert (stored.completed, stored.version) == (True, 2)


def test_two_editors_with_the_same_etag_one_wins_the_other_gets_412(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}"
    rounds = 4
    for round_number in range(rounds):
        current = api.get(url, headers=account.headers).headers["etag"]
        headers = {**account.headers, "If-Match": current}
        titles = [f"round {round_number} editor A", f"round {round_number} editor B"]
        responses = run_concurrently(
            [_request(api, "PATCH", url, headers, {"title": title}) for title in titles]
        )
        assert _statuses(responses) == [200, 412], [response.text for response in responses]
        [winner] = [response for response in responses if response.status_code == 200]
        [loser] = [response for response in responses if response.status_code == 412]
        assert loser.json()["code"] == "precondition_failed"
        assert loser.headers["etag"] == winner.headers["etag"] == f'"{round_number + 2}"'
        stored = _stored(database, task["id"])
        assert stored is not None
        assert (stored.title, stored.version) == (winner.json()["title"], round_number + 2)


def test_an_edit_and_a_delete_with_the_same_etag_exactly_one_succeeds(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    for _ in range(4):
        task = _create(api, account)
        url = f"/api/tasks/{task['id']}"
        headers = {**account.headers, "If-Match": '"1"'}
        edit, removal = run_concurrently(
            [_request(api, "PATCH", url, headers, {"title": "Edited"}), _request(api, "DELETE", url, headers)]
        )
        stored = _stored(database, task["id"])
        if removal.status_code == 204:
            # The edit came second and found the task gone.
            assert edit.status_code == 404, edit.text
            assert stored is None
        else:
            # The delete came second and found the task at version 2.
            assert (edit.status_code, removal.status_code) == (200, 412), (edit.text, removal.text)
            assert stored is not None
            assert (stored.title, stored.version) == ("Edited", 2)


def test_parallel_deletes_of_one_task_give_one_204(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}"
    responses = run_concurrently([_request(api, "DELETE", url, account.headers) for _ in range(5)])
    assert _statuses(responses) == [204] + [404] * 4, [response.text for response in responses]
    assert _stored(database, task["id"]) is None
