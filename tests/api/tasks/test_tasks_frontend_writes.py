"""Writes as real frontends send them: a partial PUT, the task they just read sent back with one field changed,
read-only fields they cannot help sending (never applied, even forged), and a known field with a bad value still
refused. The surveyed frontends' own patterns: tests/api/tasks/test_frontend_patterns.py."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend

READ_ONLY = ("id", "user_id", "created_at", "updated_at", "version")


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _create(api: httpx.Client, account: Account, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/tasks", json={"title": "Buy milk", **fields}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_a_partial_body_changes_the_fields_given_and_keeps_the_others(
    api: httpx.Client, account: Account, method: str
) -> None:
    task = _create(api, account, description="2 litres", priority="high", due_date="2026-12-01")
    response = api.request(
        method,
        f"/api/tasks/{task['id']}",
        json={"title": "Buy oat milk", "description": None},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["description"]) == ("Buy oat milk", None)
    assert (updated["priority"], updated["due_date"], updated["completed"]) == (
        task["priority"],
        task["due_date"],
        task["completed"],
    )


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_the_task_as_read_can_be_sent_back_with_one_field_changed(
    api: httpx.Client, account: Account, method: str
) -> None:
    """The usual edit form: ``{...task, title: "new"}``."""
    task = api.get(f"/api/tasks/{_create(api, account)['id']}", headers=account.headers).json()
    response = api.request(
        method, f"/api/tasks/{task['id']}", json={**task, "title": "new"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        **task,
        "title": "new",
        "version": task["version"] + 1,
        "updated_at": response.json()["updated_at"],
    }


def test_forged_read_only_fields_are_never_applied(
    api: httpx.Client, account: Account, database: Backend
) -> None:
    """Another user's id, another task's id, a rewritten history: accepted in the body, never written."""
    victim = create_account(database)
    theirs = _create(api, victim)
    mine = _create(api, account)
    forged = {
        "id": theirs["id"],
        "user_id": victim.user_id,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "version": 999,
        "title": "mine, renamed",
    }
    for method in ("PUT", "PATCH"):
        response = api.request(method, f"/api/tasks/{mine['id']}", json=forged, headers=account.headers)
        assert response.status_code == 200, response.text
        written = response.json()
        assert (written["id"], written["user_id"], written["created_at"]) == (
            mine["id"],
            account.user_id,
            mine["created_at"],
        )
        assert written["version"] != 999
    created = api.post("/api/tasks", json=forged, headers=account.headers)
    assert created.status_code == 201
    assert created.json()["user_id"] == account.user_id
    assert created.json()["id"] != theirs["id"]
    assert created.json()["version"] == 1
    assert api.get(f"/api/tasks/{theirs['id']}", headers=victim.headers).json() == theirs


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_known_field_with_a_bad_value_is_still_a_400_naming_it(
    api: httpx.Client, account: Account, method: str
) -> None:
    task = _create(api, account)
    url = "/api/tasks" if method == "POST" else f"/api/tasks/{task['id']}"
    body = {"title": "t", "priority": "urgent", "colour": "red"}
    response = api.request(method, url, json=body, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "priority: input should be 'low', 'medium' or 'high'"
    assert response.json()["errors"] == [
        {"field": "priority", "message": "Input should be 'low', 'medium' or 'high'"}
    ]
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).json() == task


@pytest.mark.parametrize("field", ["title", "completed", "priority"])
def test_null_for_a_field_that_cannot_be_empty_is_a_400(
    api: httpx.Client, account: Account, field: str
) -> None:
    task = _create(api, account)
    response = api.put(f"/api/tasks/{task['id']}", json={field: None}, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "message": "Must not be null."}]


def test_a_body_without_a_json_content_type_says_so(api: httpx.Client, account: Account) -> None:
    response = api.post(
        "/api/tasks", content=b'{"title": "t"}', headers={**account.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "body", "message": "Send the body as JSON, with Content-Type: application/json."}
    ]
