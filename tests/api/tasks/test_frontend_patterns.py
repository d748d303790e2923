"""The spec's frontends, replayed: what they send and read, as docs/api.md's "what a frontend sends" table
promises it. Each test names the pattern it stands for (how many frontends do it: docs/adr/0034 and 0035).

Every test runs on SQLite, PostgreSQL and PostgreSQL through PgBouncer, in-process and through the Lambda
handlers (the ``api`` fixture), under both path styles where a frontend could use either.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend
from tests.support.logs import capture_logs
from todo_shared.observability import logger

# What a task answer holds, whatever the body sent.
TASK_FIELDS = {
    *("id", "user_id", "title", "description", "completed", "status", "priority", "due_date"),
    *("tags", "category", "created_at", "updated_at", "version"),
}


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _styles(account: Account) -> list[str]:
    return ["/api/tasks", f"/api/{account.user_id}/tasks"]


def _create(
    api: httpx.Client, account: Account, body: dict[str, Any], prefix: str = "/api/tasks"
) -> dict[str, Any]:
    response = api.post(prefix, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def _read(api: httpx.Client, account: Account, task_id: int) -> dict[str, Any]:
    task: dict[str, Any] = api.get(f"/api/tasks/{task_id}", headers=account.headers).json()
    return task


# --- The list, as each kind of reader reads it ----------------------------------------------------------------


def test_a_bare_array_on_the_spec_path(api: httpx.Client, account: Account) -> None:
    """Reads `GET /api/{user_id}/tasks` as an array of tasks (the spec's "Array of Task objects")."""
    first = _create(api, account, {"title": "First"})
    second = _create(api, account, {"title": "Second"})
    response = api.get(f"/api/{account.user_id}/tasks", headers=account.headers)
    assert response.status_code == 200
    assert response.json() == [second, first]
    assert response.headers["x-total-count"] == "2"


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tasks/"], ids=["api-tasks", "api-tasks-slash"])
def test_the_page_object_on_api_tasks(api: httpx.Client, account: Account, path: str) -> None:
    """Reads `{tasks, total, …}` on `/api/tasks`, with or without the trailing slash."""
    task = _create(api, account, {"title": "Only"})
    response = api.get(path, headers=account.headers)
    assert response.status_code == 200
    assert response.json() == {"tasks": [task], "total": 1, "limit": 50, "offset": 0}


@pytest.mark.usefixtures("spec_path_lists_the_object")
def test_the_page_object_on_the_spec_path_when_the_deployment_says_so(
    api: httpx.Client, account: Account
) -> None:
    """Reads `{tasks}` on `GET /api/{user_id}/tasks`: served with USER_PATH_TASK_LIST=object."""
    task = _create(api, account, {"title": "Only"})
    response = api.get(f"/api/{account.user_id}/tasks", params={"limit": 10}, headers=account.headers)
    assert response.status_code == 200
    assert response.json() == {"tasks": [task], "total": 1, "limit": 10, "offset": 0}
    assert response.headers["x-total-count"] == "1"
    assert response.headers["link"].startswith(
        f'</api/{account.user_id}/tasks?limit=10&offset=0>; rel="first"'
    )


# --- Create and edit bodies with the fields frontends add -----------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "stored"),
    [
        ({"tags": ["Work", "home"]}, {"tags": ["Work", "home"]}),
        ({"tags": "work, home , "}, {"tags": ["work", "home"]}),
        ({"tags": []}, {"tags": []}),
        ({"category": "Work"}, {"category": "Work"}),
        ({"category": ""}, {"category": None}),
        ({"status": "completed"}, {"completed": True, "status": "completed"}),
        ({"status": "pending"}, {"completed": False, "status": "pending"}),
        ({"is_completed": True}, {"completed": True}),
        ({"dueDate": "2026-12-01"}, {"due_date": "2026-12-01T00:00:00Z"}),
        ({"dueDate": ""}, {"due_date": None}),
        ({"due_date": ""}, {"due_date": None}),
        ({"description": ""}, {"description": None}),
        ({"due_date": "2026-12-01", "dueDate": "2027-01-01"}, {"due_date": "2026-12-01T00:00:00Z"}),
        ({"completed": False, "status": "completed"}, {"completed": False}),
        ({"category_id": 3, "userId": "someone"}, {}),
    ],
    ids=[
        "tags-list",
        "tags-comma-string",
        "tags-empty",
        "category",
        "category-empty",
        "status-completed",
        "status-pending",
        "is_completed",
        "dueDate",
        "dueDate-empty",
        "due_date-empty",
        "description-empty",
        "due_date-and-dueDate-canonical-wins",
        "completed-and-status-canonical-wins",
        "category_id-and-camelCase-ids-ignored",
    ],
)
def test_create_with_the_fields_frontends_add(
    api: httpx.Client, account: Account, extra: dict[str, Any], stored: dict[str, Any]
) -> None:
    """Create forms that send more than the task's own fields, or the same field spelled another way."""
    for prefix in _styles(account):
        task = _create(api, account, {"title": "Plan", **extra}, prefix)
        assert {name: task[name] for name in stored} == stored
        assert set(task) == TASK_FIELDS
        assert _read(api, account, task["id"]) == task


RECURRING = {
    "is_recurring": True,
    "recurrence_pattern": "weekly",
    "recurrence": {"every": 1, "unit": "week"},
    "reminder_time": "2026-12-01T08:00:00Z",
    "remind_before_minutes": 15,
}


def test_recurring_and_reminder_fields_are_ignored_never_stored_nor_echoed(
    api: httpx.Client, account: Account
) -> None:
    """Advanced-level frontends send recurring and reminder fields this API does not have."""
    task = _create(api, account, {"title": "Standup", **RECURRING})
    assert not set(RECURRING) & set(task)
    edited = api.put(
        f"/api/{account.user_id}/tasks/{task['id']}",
        json={**task, **RECURRING, "title": "Daily standup"},
        headers=account.headers,
    )
    assert edited.status_code == 200, edited.text
    assert not set(RECURRING) & set(edited.json())
    assert "weekly" not in api.get("/api/tasks", headers=account.headers).text


def test_unknown_fields_are_logged_by_name_at_debug(api: httpx.Client, account: Account) -> None:
    """The operator can see what a frontend sends that the API drops: names only, never values."""
    previous = logger.log_level
    logger.setLevel("DEBUG")
    try:
        with capture_logs() as logs:
            _create(api, account, {"title": "x", "reminder_time": "secret-value-4711", "tags": ["a"]})
    finally:
        logger.setLevel(previous)
    ignored = [record for record in logs.records if record["message"] == "task body fields ignored"]
    assert [record["ignored_fields"] for record in ignored] == [["reminder_time"]]
    assert "secret-value-4711" not in logs.text


def test_the_edit_form_sends_both_due_date_spellings(api: httpx.Client, account: Account) -> None:
    """An edit form that spreads the task as read (`due_date`) and adds its own `dueDate`: the one that
    changes the task wins, whichever spelling it is; sent back unchanged, a spelling changes nothing."""
    task = _create(api, account, {"title": "Pay rent", "due_date": "2026-12-01"})
    url = f"/api/{account.user_id}/tasks/{task['id']}"
    moved = api.put(url, json={**task, "dueDate": "2026-12-05"}, headers=account.headers).json()
    assert moved["due_date"] == "2026-12-05T00:00:00Z"
    cleared = api.put(url, json={**moved, "dueDate": ""}, headers=account.headers).json()
    assert cleared["due_date"] is None
    unchanged = api.put(url, json={**cleared, "dueDate": None}, headers=account.headers).json()
    assert unchanged == cleared  # nothing changed: no new version
    both = api.patch(url, json={"due_date": "2027-01-01", "dueDate": "2027-02-02"}, headers=account.headers)
    assert both.json()["due_date"] == "2027-01-01T00:00:00Z"  # both change it: the canonical one wins


# --- Completion, in every form frontends write it ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [None, {}, {"unknown": 1}],
    ids=["complete-no-body", "complete-empty-object", "complete-only-unknown"],
)
def test_complete_without_a_state_toggles(api: httpx.Client, account: Account, body: Any) -> None:
    """`PATCH …/complete` with no body (12 of the surveyed frontends), with `{}` (1), or nothing it knows."""
    for prefix in _styles(account):
        task = _create(api, account, {"title": "Toggle me"}, prefix)
        url = f"{prefix}/{task['id']}/complete"
        first = api.patch(url, json=body, headers=account.headers)
        assert first.status_code == 200, first.text
        assert (first.json()["completed"], first.json()["status"]) == (True, "completed")
        second = api.patch(url, json=body, headers=account.headers)
        assert (second.json()["completed"], second.json()["status"]) == (False, "pending")


@pytest.mark.parametrize(
    ("body", "completed"),
    [
        ({"completed": True}, True),
        ({"status": "completed"}, True),
        ({"status": "COMPLETE"}, True),
        ({"is_completed": True}, True),
        ({"completed": False}, False),
    ],
    ids=[
        "complete-completed",
        "complete-status",
        "complete-status-upper",
        "complete-is_completed",
        "complete-false",
    ],
)
def test_complete_with_a_state_sets_it(
    api: httpx.Client, account: Account, body: Any, completed: bool
) -> None:
    """`PATCH …/complete` with `{completed}` (2 of the surveyed frontends), or another spelling of it."""
    for prefix in _styles(account):
        task = _create(api, account, {"title": "Set me"}, prefix)
        url = f"{prefix}/{task['id']}/complete"
        for _ in range(2):  # a retried set changes nothing more
            response = api.patch(url, json=body, headers=account.headers)
            assert response.status_code == 200, response.text
            assert response.json()["completed"] is completed


@pytest.mark.parametrize(
    ("method", "change", "completed"),
    [
        ("PATCH", {"completed": True}, True),
        ("PUT", {"completed": True}, True),
        ("PUT", {"status": "completed"}, True),
        ("PUT", {"status": "COMPLETE"}, True),
        ("PATCH", {"is_completed": True}, True),
    ],
    ids=["patch-completed", "put-completed", "put-status", "put-status-upper", "patch-is_completed"],
)
def test_an_edit_that_completes_the_task(
    api: httpx.Client, account: Account, method: str, change: dict[str, Any], completed: bool
) -> None:
    """An edit form that sends the task as read with its completion changed, under the name it reads."""
    for prefix in _styles(account):
        task = _create(api, account, {"title": "Edit me"}, prefix)
        url = f"{prefix}/{task['id']}"
        response = api.request(method, url, json={**task, **change}, headers=account.headers)
        assert response.status_code == 200, response.text
        assert response.json()["completed"] is completed
        reopened = {"status": "INCOMPLETE"} if "status" in change else {"completed": False}
        back = api.request(method, url, json={**response.json(), **reopened}, headers=account.headers)
        assert (back.json()["completed"], back.json()["status"]) == (False, "pending")


# --- List filters, as frontends spell them ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "all"}, ["open", "done"]),
        ({"status": "pending"}, ["open"]),
        ({"status": "completed"}, ["done"]),
        ({"status": "Pending"}, ["open"]),
        ({"status": "Completed"}, ["done"]),
        ({"status": "incomplete"}, ["open"]),
        ({"status": "complete"}, ["done"]),
        ({"completed": "true"}, ["done"]),
        ({"completed": "false"}, ["open"]),
        ({"completed": "False"}, ["open"]),
        ({"status": "pending", "completed": "true"}, ["open"]),
        ({"sort_by": "title", "skip": "5", "url_user_id": "someone-else"}, ["open", "done"]),
        ({"priority": "HIGH"}, ["done"]),
    ],
    ids=[
        "status-all",
        "status-pending",
        "status-completed",
        "status-Pending",
        "status-Completed",
        "status-incomplete",
        "status-complete",
        "completed-true",
        "completed-false",
        "completed-False",
        "status-wins-over-completed",
        "unknown-parameters-ignored",
        "priority-any-case",
    ],
)
def test_list_filters_as_frontends_spell_them(
    api: httpx.Client, account: Account, params: dict[str, str], expected: list[str]
) -> None:
    done = _create(api, account, {"title": "done", "completed": True, "priority": "high"})
    _create(api, account, {"title": "open", "priority": "low"})
    own = api.get("/api/tasks", params=params, headers=account.headers)
    assert own.status_code == 200, own.text
    assert [task["title"] for task in own.json()["tasks"]] == expected
    spec = api.get(f"/api/{account.user_id}/tasks", params=params, headers=account.headers)
    assert [task["title"] for task in spec.json()] == expected
    assert done["status"] == "completed"


@pytest.mark.parametrize("params", [{"status": "overdue"}, {"status": "done"}, {"completed": "maybe"}])
def test_a_filter_value_it_does_not_know_is_a_400_naming_it(
    api: httpx.Client, account: Account, params: dict[str, str]
) -> None:
    response = api.get(f"/api/{account.user_id}/tasks", params=params, headers=account.headers)
    assert response.status_code == 400
    (name,) = params
    assert [error["field"] for error in response.json()["errors"]] == [name]
    assert response.json()["detail"].startswith(f"{name}: ")


# --- Priority and due date spellings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "answered"),
    [("low", "low"), ("High", "high"), ("MEDIUM", "medium"), ("hIgH", "high")],
    ids=["lower", "capitalised", "upper", "mixed"],
)
def test_priority_in_any_case_is_answered_in_lower_case(
    api: httpx.Client, account: Account, sent: str, answered: str
) -> None:
    task = _create(api, account, {"title": "x", "priority": sent})
    assert task["priority"] == answered
    patched = api.patch(
        f"/api/tasks/{task['id']}", json={"priority": sent.swapcase()}, headers=account.headers
    )
    assert patched.json()["priority"] == answered


def test_urgent_is_refused_with_a_detail_the_form_can_show(api: httpx.Client, account: Account) -> None:
    """Two frontends offer `urgent`: a clear 400 (the API has low, medium and high), and nothing is created."""
    response = api.post(
        f"/api/{account.user_id}/tasks", json={"title": "x", "priority": "urgent"}, headers=account.headers
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "priority: input should be 'low', 'medium' or 'high'"
    assert api.get(f"/api/{account.user_id}/tasks", headers=account.headers).json() == []


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("2026-12-01", "2026-12-01T00:00:00Z"),
        ("2026-12-01T17:00", "2026-12-01T17:00:00Z"),
        ("2026-12-01T17:00:00.000Z", "2026-12-01T17:00:00Z"),
        ("2026-12-01T18:00:00+01:00", "2026-12-01T17:00:00Z"),
    ],
    ids=["date-only", "datetime-local-input", "toISOString", "with-offset"],
)
@pytest.mark.parametrize("field", ["due_date", "dueDate"])
def test_due_date_spellings(
    api: httpx.Client, account: Account, field: str, sent: str, answered: str
) -> None:
    """`<input type="date">`, `<input type="datetime-local">` and `Date.toISOString()`, under either name."""
    task = _create(api, account, {"title": "x", field: sent})
    assert task["due_date"] == answered


def test_a_validation_error_names_its_first_problem_in_detail(api: httpx.Client, account: Account) -> None:
    """16 of the surveyed frontends show `detail` and nothing else."""
    response = api.post("/api/tasks", json={"title": "  ", "priority": "urgent"}, headers=account.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "title: must not be empty or only whitespace."
    assert [error["field"] for error in body["errors"]] == ["title", "priority"]


@pytest.mark.parametrize("field", ["title", "description", "category"])
def test_text_with_nul_is_still_refused(api: httpx.Client, account: Account, field: str) -> None:
    body = {"title": "ok", field: "a\x00b"}
    response = api.post("/api/tasks", json=body, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["detail"] == f"{field}: must not contain NUL characters."
