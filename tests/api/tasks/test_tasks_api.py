"""The tasks routes: CRUD, completion, timestamps, listing, and odd input that must never give a 500.

Every test runs on SQLite, PostgreSQL and PostgreSQL through PgBouncer, in-process and through the Lambda
handlers (the ``api`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend

NOT_FOUND = {"detail": "Task not found.", "code": "task_not_found"}


def _when(value: str) -> datetime:
    """An API timestamp: ISO 8601 with an offset (``Z``), aware."""
    assert value.endswith("Z"), value
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None
    return moment


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _create(api: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    response = api.post("/api/tasks", json={"title": "A task", **body}, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_returns_the_task_with_defaults(api: httpx.Client, account: Account) -> None:
    before = datetime.now(UTC)
    response = api.post("/api/tasks", json={"title": "  Buy milk  "}, headers=account.headers)
    assert response.status_code == 201
    task = response.json()
    assert set(task) == {
        "id",
        "user_id",
        "title",
        "description",
        "completed",
        "priority",
        "due_date",
        "created_at",
        "updated_at",
        "version",
    }
    assert isinstance(task["id"], int)
    assert task["version"] == 1
    assert task["user_id"] == account.user_id
    assert task["title"] == "Buy milk"
    assert task["description"] is None
    assert task["completed"] is False
    assert task["priority"] == "medium"
    assert task["due_date"] is None
    assert task["created_at"] == task["updated_at"]
    assert (
        before - timedelta(seconds=5) <= _when(task["created_at"]) <= datetime.now(UTC) + timedelta(seconds=5)
    )


def test_create_with_every_field_and_read_it_back(api: httpx.Client, account: Account) -> None:
    task = _create(
        api,
        account,
        title="Pay rent",
        description="  Landlord's IBAN\nin the email  ",
        completed=True,
        priority="high",
        due_date="2026-12-01T17:30:00+02:00",
    )
    assert task["description"] == "Landlord's IBAN\nin the email"
    assert task["completed"] is True
    assert task["priority"] == "high"
    assert task["due_date"] == "2026-12-01T15:30:00Z"
    read = api.get(f"/api/tasks/{task['id']}", headers=account.headers)
    assert read.status_code == 200
    assert read.json() == task
    scoped = api.get(f"/api/{account.user_id}/tasks/{task['id']}", headers=account.headers)
    assert scoped.json() == task


def test_put_replaces_every_field(api: httpx.Client, account: Account) -> None:
    task = _create(api, account, description="old", priority="high", due_date="2026-12-01")
    body = {"title": "New", "description": None, "completed": True, "priority": "low", "due_date": None}
    response = api.put(f"/api/tasks/{task['id']}", json=body, headers=account.headers)
    assert response.status_code == 200
    replaced = response.json()
    assert {key: replaced[key] for key in body} == body
    assert replaced["created_at"] == task["created_at"]
    assert _when(replaced["updated_at"]) > _when(task["updated_at"])
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).json() == replaced


def test_put_changes_only_the_given_fields(api: httpx.Client, account: Account) -> None:
    """Frontends for this API send PUT with the fields they edit (``updateTask(id, Partial<Task>)``)."""
    task = _create(api, account, description="keep me", priority="high", due_date="2026-12-01")
    response = api.put(
        f"/api/tasks/{task['id']}", json={"title": "Renamed", "description": "new"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["description"]) == ("Renamed", "new")
    for unchanged in ("priority", "due_date", "completed", "created_at", "user_id", "id"):
        assert updated[unchanged] == task[unchanged]
    assert updated["version"] == task["version"] + 1


def test_patch_changes_only_the_given_fields(api: httpx.Client, account: Account) -> None:
    task = _create(api, account, description="keep me", priority="high", due_date="2026-12-01")
    response = api.patch(f"/api/tasks/{task['id']}", json={"title": "Renamed"}, headers=account.headers)
    assert response.status_code == 200
    patched = response.json()
    assert patched["title"] == "Renamed"
    for unchanged in ("description", "priority", "due_date", "completed", "created_at", "user_id", "id"):
        assert patched[unchanged] == task[unchanged]
    assert _when(patched["updated_at"]) > _when(task["updated_at"])

    cleared = api.patch(
        f"/api/tasks/{task['id']}", json={"description": None, "due_date": None}, headers=account.headers
    ).json()
    assert cleared["description"] is None
    assert cleared["due_date"] is None
    assert cleared["title"] == "Renamed"


def test_a_write_that_changes_nothing_keeps_updated_at(api: httpx.Client, account: Account) -> None:
    task = _create(api, account, priority="low")
    url = f"/api/tasks/{task['id']}"
    for body in ({}, {"priority": "low"}, {"title": task["title"]}):
        response = api.patch(url, json=body, headers=account.headers)
        assert response.status_code == 200
        assert response.json() == task


def test_updated_at_moves_on_every_change_and_created_at_never(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}"
    full = {
        "title": "t",
        "description": "d",
        "completed": False,
        "priority": "high",
        "due_date": "2027-01-01",
    }
    writes = [
        lambda: api.patch(url, json={"title": "Second"}, headers=account.headers),
        lambda: api.put(url, json=full, headers=account.headers),
        lambda: api.patch(f"{url}/complete", headers=account.headers),
        lambda: api.patch(f"{url}/complete", json={"completed": False}, headers=account.headers),
        lambda: api.patch(url, json={"due_date": "2027-01-02T00:00:00Z"}, headers=account.headers),
    ]
    previous = _when(task["updated_at"])
    for write in writes:
        response = write()
        assert response.status_code == 200, response.text
        current = response.json()
        assert current["created_at"] == task["created_at"]
        assert _when(current["updated_at"]) > previous
        previous = _when(current["updated_at"])


def test_complete_without_a_body_toggles(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}/complete"
    first = api.patch(url, headers=account.headers)
    assert first.status_code == 200
    assert first.json()["completed"] is True
    second = api.patch(f"/api/{account.user_id}/tasks/{task['id']}/complete", headers=account.headers)
    assert second.json()["completed"] is False


def test_complete_with_a_body_sets_and_is_safe_to_retry(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    url = f"/api/tasks/{task['id']}/complete"
    first = api.patch(url, json={"completed": True}, headers=account.headers).json()
    retried = api.patch(url, json={"completed": True}, headers=account.headers).json()
    assert first["completed"] is True
    assert retried == first  # nothing changed, updated_at included
    undone = api.patch(url, json={"completed": False}, headers=account.headers).json()
    assert undone["completed"] is False


@pytest.mark.parametrize(
    "body",
    [{}, {"completed": "true"}, {"completed": 1}, {"completed": None}, {"completed": True, "extra": 1}, []],
)
def test_complete_refuses_a_body_without_a_boolean(api: httpx.Client, account: Account, body: Any) -> None:
    task = _create(api, account)
    response = api.patch(f"/api/tasks/{task['id']}/complete", json=body, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).json() == task


def test_delete_answers_204_then_404(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    response = api.delete(f"/api/tasks/{task['id']}", headers=account.headers)
    assert response.status_code == 204
    assert response.content == b""
    again = api.delete(f"/api/tasks/{task['id']}", headers=account.headers)
    assert again.status_code == 404
    assert again.json() == NOT_FOUND
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).status_code == 404


def test_delete_on_the_user_scoped_path(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    response = api.delete(f"/api/{account.user_id}/tasks/{task['id']}", headers=account.headers)
    assert response.status_code == 204
    assert api.get("/api/tasks", headers=account.headers).json()["total"] == 0


@pytest.mark.parametrize(
    "task_id",
    ["0", "-1", "abc", "1.0", "1e3", "+1", "%20", "2147483648", "99999999999999999999", "9" * 300],
)
def test_ids_that_cannot_name_a_task_give_the_same_404(
    api: httpx.Client, account: Account, task_id: str
) -> None:
    for method, suffix, body in (
        ("GET", "", None),
        (
            "PUT",
            "",
            {"title": "x", "description": None, "completed": False, "priority": "low", "due_date": None},
        ),
        ("PATCH", "", {"title": "x"}),
        ("DELETE", "", None),
        ("PATCH", "/complete", None),
    ):
        for prefix in ("/api/tasks", f"/api/{account.user_id}/tasks"):
            response = api.request(method, f"{prefix}/{task_id}{suffix}", json=body, headers=account.headers)
            assert response.status_code == 404, (method, prefix, response.text)
            assert response.json() == NOT_FOUND


def test_every_route_needs_a_token(api: httpx.Client, account: Account) -> None:
    task = _create(api, account)
    for method, path in (
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", f"/api/tasks/{task['id']}"),
        ("PUT", f"/api/tasks/{task['id']}"),
        ("PATCH", f"/api/tasks/{task['id']}"),
        ("DELETE", f"/api/tasks/{task['id']}"),
        ("PATCH", f"/api/tasks/{task['id']}/complete"),
        ("GET", f"/api/{account.user_id}/tasks"),
        ("DELETE", f"/api/{account.user_id}/tasks/{task['id']}"),
    ):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = api.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path)
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith('Bearer error="invalid_token"') if headers else challenge == "Bearer"
            assert set(response.json()) == {"detail", "code"}
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).json() == task


def test_checks_run_in_order_token_then_path_user_then_request_then_task(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    other = create_account(database)
    bad_body = {"title": ""}
    # no token: 401 even with a bad body, another user's path and a missing task
    response = api.patch(f"/api/{other.user_id}/tasks/2147483647", json=bad_body)
    assert response.status_code == 401
    # another user's path: 403 before the body is looked at
    response = api.patch(f"/api/{other.user_id}/tasks/2147483647", json=bad_body, headers=account.headers)
    assert response.status_code == 403
    # own path, bad body: 400 before the (missing) task is looked up
    response = api.patch(f"/api/{account.user_id}/tasks/2147483647", json=bad_body, headers=account.headers)
    assert response.status_code == 400
    response = api.get("/api/tasks?limit=0")
    assert response.status_code == 401


def test_list_defaults_and_page_shape(api: httpx.Client, account: Account) -> None:
    created = [_create(api, account, title=f"Task {index}") for index in range(3)]
    response = api.get("/api/tasks", headers=account.headers)
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"tasks", "total", "limit", "offset"}
    assert page["total"] == 3
    assert page["limit"] == 50
    assert page["offset"] == 0
    # newest first; the three may share a timestamp, and then the larger id comes first
    assert [task["id"] for task in page["tasks"]] == [task["id"] for task in reversed(created)]
    assert page["tasks"][0] == created[-1]
    scoped = api.get(f"/api/{account.user_id}/tasks", headers=account.headers).json()
    assert scoped == page


def test_list_pages_and_counts(api: httpx.Client, account: Account) -> None:
    ids = [_create(api, account, title=f"Task {index}")["id"] for index in range(5)]
    query: dict[str, str | int] = {"sort": "created", "order": "asc", "limit": 2}
    pages = [
        api.get("/api/tasks", params={**query, "offset": offset}, headers=account.headers).json()
        for offset in (0, 2, 4, 5, 1000)
    ]
    assert [[task["id"] for task in page["tasks"]] for page in pages] == [ids[0:2], ids[2:4], ids[4:], [], []]
    assert {page["total"] for page in pages} == {5}
    assert [page["offset"] for page in pages] == [0, 2, 4, 5, 1000]


def test_search_is_case_insensitive_over_title_and_description(api: httpx.Client, account: Account) -> None:
    milk = _create(api, account, title="Buy MILK")
    note = _create(api, account, title="Shopping", description="oat milk, bread")
    _create(api, account, title="Call mum")
    found = api.get(
        "/api/tasks", params={"q": " Milk ", "sort": "created", "order": "asc"}, headers=account.headers
    )
    assert [task["id"] for task in found.json()["tasks"]] == [milk["id"], note["id"]]
    assert found.json()["total"] == 2


@pytest.mark.parametrize(
    ("needle", "expected"),
    [("%", ["100% done"]), ("_", ["a_b"]), ("\\", ["back\\slash"]), ("0%", ["100% done"]), ("a_", ["a_b"])],
)
def test_search_matches_like_wildcards_literally(
    api: httpx.Client, account: Account, needle: str, expected: list[str]
) -> None:
    for title in ("100% done", "100 done", "a_b", "axb", "back\\slash", "plain"):
        _create(api, account, title=title)
    found = api.get("/api/tasks", params={"q": needle, "sort": "title"}, headers=account.headers).json()
    assert [task["title"] for task in found["tasks"]] == expected


def test_status_filter(api: httpx.Client, account: Account) -> None:
    done = _create(api, account, completed=True)
    open_ = _create(api, account)
    for status, expected in (("completed", [done]), ("pending", [open_]), ("all", [open_, done])):
        page = api.get("/api/tasks", params={"status": status}, headers=account.headers).json()
        assert page["tasks"] == expected
        assert page["total"] == len(expected)


def test_sort_by_priority_and_due_date(api: httpx.Client, account: Account) -> None:
    low = _create(api, account, priority="low", due_date="2026-12-03")
    high = _create(api, account, priority="high")
    medium = _create(api, account, priority="medium", due_date="2026-12-01")

    def ids(**params: str) -> list[int]:
        page = api.get("/api/tasks", params=params, headers=account.headers).json()
        return [task["id"] for task in page["tasks"]]

    assert ids(sort="priority") == [high["id"], medium["id"], low["id"]]  # default desc: most important
    assert ids(sort="priority", order="asc") == [low["id"], medium["id"], high["id"]]
    assert ids(sort="due_date") == [medium["id"], low["id"], high["id"]]  # default asc; no date last
    assert ids(sort="due_date", order="desc") == [high["id"], low["id"], medium["id"]]


def test_sort_by_title_ignores_ascii_case(api: httpx.Client, account: Account) -> None:
    for title in ("banana", "Apple", "cherry", "apple"):
        _create(api, account, title=title)
    page = api.get("/api/tasks", params={"sort": "title"}, headers=account.headers).json()
    assert [task["title"] for task in page["tasks"]] == ["Apple", "apple", "banana", "cherry"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-5", "limit"),
        ("limit=1e2", "limit"),
        ("limit=", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("offset=1.5", "offset"),
        ("offset=2147483648", "offset"),
        ("offset=" + "9" * 40, "offset"),
        ("offset=" + "9" * 5000, "offset"),
        ("status=done", "status"),
        ("status=", "status"),
        ("sort=name", "sort"),
        ("sort=created_at", "sort"),
        ("order=DESC", "order"),
        ("order=up", "order"),
        ("q=%00", "q"),
        ("q=a%00b", "q"),
        ("q=" + "x" * 1001, "q"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_parameter(
    api: httpx.Client, account: Account, query: str, field: str
) -> None:
    response = api.get(f"/api/tasks?{query}", headers=account.headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert [error["field"] for error in body["errors"]] == [field]


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=%20%20",
        "q=%25%25%25",
        "q=%E2%9C%93",
        "q=%ZZ",
        "q=%FF%FE",
        "q=" + "x" * 1000,
        "unknown=1",
        "limit=100&offset=2147483647",
        "sort=title&order=desc&status=pending&q=a&limit=1&offset=0",
        "&&&=&",
    ],
)
def test_odd_but_valid_list_queries_answer_200(api: httpx.Client, account: Account, query: str) -> None:
    _create(api, account, title="a task")
    response = api.get(f"/api/tasks?{query}", headers=account.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"tasks", "total", "limit", "offset"}


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"not json", b"[]", b"null", b"1", b'"title"', b"{}", b'{"title": "a"', b"\xff\xfe", b"[{}]"],
)
def test_malformed_bodies_are_400(api: httpx.Client, account: Account, content: bytes) -> None:
    task = _create(api, account)
    headers = {**account.headers, "Content-Type": "application/json"}
    for method, url in (
        ("POST", "/api/tasks"),
        ("PUT", f"/api/tasks/{task['id']}"),
        ("PATCH", f"/api/tasks/{task['id']}"),
    ):
        response = api.request(method, url, content=content, headers=headers)
        if method in ("PUT", "PATCH") and content == b"{}":
            assert response.status_code == 200  # an empty partial update is valid
            continue
        assert response.status_code == 400, (method, content, response.text)
        assert response.json()["code"] == "validation_error"
        assert response.json()["errors"]
    assert api.get(f"/api/tasks/{task['id']}", headers=account.headers).json() == task


def test_a_body_sent_as_text_is_refused(api: httpx.Client, account: Account) -> None:
    response = api.post(
        "/api/tasks", content=b'{"title": "x"}', headers={**account.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 400


def test_deeply_nested_or_oversized_json_is_refused_without_a_500(
    api: httpx.Client, account: Account
) -> None:
    headers = {**account.headers, "Content-Type": "application/json"}
    nested = api.post("/api/tasks", content=b"[" * 30000 + b"]" * 30000, headers=headers)
    assert nested.status_code == 400
    assert set(nested.json()) >= {"detail", "code"}
    huge = api.post("/api/tasks", content=b'{"title": "' + b"a" * 70000 + b'"}', headers=headers)
    assert huge.status_code == 413
    assert api.get("/api/tasks", headers=account.headers).json()["total"] == 0
