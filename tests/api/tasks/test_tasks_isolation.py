"""Per-user isolation: another user can neither see, change, complete nor delete a user's tasks.

Every route, both path styles (``/api/tasks/…`` and ``/api/{user_id}/tasks/…``), every database, both
clients. Someone else's task answers exactly like a missing one (404, same body); a path naming another user
answers 403 before anything is looked up. Afterwards the owner's data is byte-for-byte unchanged.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend

NOT_FOUND = {"detail": "Task not found.", "code": "task_not_found"}
FORBIDDEN = {"detail": "You can only access your own tasks.", "code": "forbidden"}
MISSING_ID = 2147483647


def _snapshot(api: httpx.Client, account: Account) -> dict[str, Any]:
    listing = api.get("/api/tasks", params={"limit": 100}, headers=account.headers)
    assert listing.status_code == 200
    snapshot: dict[str, Any] = listing.json()
    return snapshot


def _writes(task_id: int | str) -> list[tuple[str, str, Any]]:
    """(method, path suffix, JSON body) of every request on one task (GET included)."""
    full = {
        "title": "Hijacked",
        "description": "x",
        "completed": True,
        "priority": "high",
        "due_date": None,
        "tags": ["planted"],
        "category": "planted",
    }
    return [
        ("GET", f"/{task_id}", None),
        ("PUT", f"/{task_id}", full),
        ("PATCH", f"/{task_id}", {"title": "Hijacked"}),
        ("PATCH", f"/{task_id}", {}),
        ("PATCH", f"/{task_id}/complete", None),
        ("PATCH", f"/{task_id}/complete", {"completed": True}),
        ("PATCH", f"/{task_id}/complete", {"completed": False}),
        ("DELETE", f"/{task_id}", None),
    ]


def test_another_user_can_neither_see_nor_touch_a_users_tasks(api: httpx.Client, database: Backend) -> None:
    alice = create_account(database)
    bob = create_account(database)
    secret_title = "Alice's secret plan 7f3a"
    created = [
        api.post("/api/tasks", json=body, headers=alice.headers).json()
        for body in (
            {
                "title": secret_title,
                "description": "hidden note",
                "priority": "high",
                "due_date": "2026-12-01",
                "tags": ["alice-only", "shared"],
                "category": "Hidden",
            },
            {"title": "Second", "completed": True},
        )
    ]
    alice_ids = [task["id"] for task in created]
    before = _snapshot(api, alice)
    assert before["total"] == 2

    # Bob's lists and tags hold none of Alice's, whatever the filters, in both path styles. Bob has a task
    # with one of her tags: the tag filter and the tag list are his alone too.
    bobs = api.post("/api/tasks", json={"title": "Bob's", "tags": ["Shared"]}, headers=bob.headers).json()
    filters: list[dict[str, str]] = [
        {"q": "secret"},
        {"q": "hidden"},
        {"q": "alice-only"},
        {"status": "completed"},
        {"tag": "alice-only"},
        {"category": "hidden"},
        {"priority": "high"},
    ]
    for prefix in ("/api/tasks", f"/api/{bob.user_id}/tasks"):
        for params in filters:
            page = api.get(prefix, params=params, headers=bob.headers)
            assert page.status_code == 200
            assert (page.json() if prefix != "/api/tasks" else page.json()["tasks"]) == []
            assert page.headers["x-total-count"] == "0"
        shared = api.get(prefix, params={"tag": "shared"}, headers=bob.headers)
        assert shared.headers["x-total-count"] == "1"
        assert api.get(f"{prefix}/tags", headers=bob.headers).json() == ["Shared"]
    assert api.delete(f"/api/tasks/{bobs['id']}", headers=bob.headers).status_code == 204

    # Bob on Alice's tasks through his own paths: the same 404 as a task that does not exist.
    for prefix in ("/api/tasks", f"/api/{bob.user_id}/tasks"):
        for task_id in alice_ids:
            for method, suffix, body in _writes(task_id):
                response = api.request(method, prefix + suffix, json=body, headers=bob.headers)
                assert response.status_code == 404, (method, prefix + suffix, response.text)
                assert response.json() == NOT_FOUND
        for method, suffix, body in _writes(MISSING_ID):
            missing = api.request(method, prefix + suffix, json=body, headers=bob.headers)
            assert (missing.status_code, missing.json()) == (404, NOT_FOUND)

    # Bob through Alice's user-scoped path: 403, for her tasks, missing ones, her list and creating.
    alice_prefix = f"/api/{alice.user_id}/tasks"
    requests: list[tuple[str, str, Any]] = [
        ("GET", "", None),
        ("GET", "?q=secret", None),
        ("GET", "/tags", None),
        ("POST", "", {"title": "Planted by Bob"}),
    ]
    for task_id in [*alice_ids, MISSING_ID]:
        requests.extend(_writes(task_id))
    for method, suffix, body in requests:
        response = api.request(method, alice_prefix + suffix, json=body, headers=bob.headers)
        assert response.status_code == 403, (method, alice_prefix + suffix, response.text)
        assert response.json() == FORBIDDEN

    # Nothing of Alice's moved (updated_at included), and Bob created nothing anywhere.
    assert _snapshot(api, alice) == before
    for task in created:
        assert api.get(f"/api/tasks/{task['id']}", headers=alice.headers).json() == task
    assert _snapshot(api, bob)["total"] == 0


def test_a_users_own_writes_do_not_reach_another_users_tasks(api: httpx.Client, database: Backend) -> None:
    """The mirror image: Bob's full CRUD on his own tasks leaves Alice's identical."""
    alice = create_account(database)
    bob = create_account(database)
    api.post("/api/tasks", json={"title": "Alice's"}, headers=alice.headers)
    before = _snapshot(api, alice)
    mine = api.post(f"/api/{bob.user_id}/tasks", json={"title": "Bob's"}, headers=bob.headers).json()
    assert mine["user_id"] == bob.user_id
    for prefix in ("/api/tasks", f"/api/{bob.user_id}/tasks"):
        for method, suffix, body in _writes(mine["id"])[:-1]:
            assert api.request(method, prefix + suffix, json=body, headers=bob.headers).status_code == 200
    assert api.delete(f"/api/tasks/{mine['id']}", headers=bob.headers).status_code == 204
    assert _snapshot(api, alice) == before


def test_ids_are_not_guessable_into_access(api: httpx.Client, database: Backend) -> None:
    """Neighbouring ids (created in between by someone else) are 404 to a user, never another's task."""
    alice = create_account(database)
    bob = create_account(database)
    first = api.post("/api/tasks", json={"title": "a"}, headers=alice.headers).json()["id"]
    bobs = api.post("/api/tasks", json={"title": "b"}, headers=bob.headers).json()["id"]
    last = api.post("/api/tasks", json={"title": "c"}, headers=alice.headers).json()["id"]
    for task_id in range(first, last + 1):
        response = api.get(f"/api/tasks/{task_id}", headers=bob.headers)
        if task_id == bobs:
            assert response.json()["user_id"] == bob.user_id
        else:
            assert (response.status_code, response.json()) == (404, NOT_FOUND)
