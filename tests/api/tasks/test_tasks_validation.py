"""Validation of task bodies at their edges: lengths, whitespace, Unicode, NUL, types, dates.

A refused body is a 400 whose ``errors`` name each offending field, and it changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend

FULL = {"title": "t", "description": None, "completed": False, "priority": "medium", "due_date": None}


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _send(api: httpx.Client, method: str, url: str, account: Account, body: Any) -> httpx.Response:
    """JSON with ASCII escapes, so text no UTF-8 encoder accepts (an unpaired surrogate) can be sent."""
    headers = {**account.headers, "Content-Type": "application/json"}
    return api.request(method, url, content=json.dumps(body).encode("ascii"), headers=headers)


def _errors(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"]
    return {error["field"]: error["message"] for error in body["errors"]}


def _task_count(api: httpx.Client, account: Account) -> int:
    total: int = api.get("/api/tasks", headers=account.headers).json()["total"]
    return total


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("a" * 200, "a" * 200),
        ("  " + "b" * 200 + "\n\t ", "b" * 200),  # the limit applies after trimming
        ("x", "x"),
        ("é" * 200, "é" * 200),
        ("😀" * 200, "😀" * 200),  # characters are code points, not bytes or UTF-16 units
        ("Café ☕ 漢字 — ok", "Café ☕ 漢字 — ok"),
        ("\u00a0padded\u3000", "padded"),  # Unicode spaces are trimmed too
        ("tab\tinside", "tab\tinside"),
    ],
)
def test_titles_that_are_accepted(api: httpx.Client, account: Account, title: str, stored: str) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": title})
    assert response.status_code == 201, response.text
    assert response.json()["title"] == stored
    read = api.get(f"/api/tasks/{response.json()['id']}", headers=account.headers)
    assert read.json()["title"] == stored


@pytest.mark.parametrize(
    "title",
    [
        "a" * 201,
        "😀" * 201,
        "",
        "   ",
        "\n\t ",
        "\u3000",
        "a\x00b",
        "\x00",
        "\ud83d",
        None,
        5,
        1.5,
        True,
        ["a"],
        {},
    ],
)
def test_titles_that_are_refused(api: httpx.Client, account: Account, title: Any) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": title})
    assert set(_errors(response)) == {"title"}
    assert _task_count(api, account) == 0


def test_a_missing_title_is_named(api: httpx.Client, account: Account) -> None:
    assert _errors(_send(api, "POST", "/api/tasks", account, {"priority": "low"})) == {
        "title": "This field is required."
    }


@pytest.mark.parametrize(
    ("description", "stored"),
    [
        ("d" * 1000, "d" * 1000),
        (" " + "d" * 1000 + " ", "d" * 1000),
        ("line one\n  line two", "line one\n  line two"),
        ("", None),
        ("   \n ", None),
        (None, None),
        ("日本語の説明", "日本語の説明"),
    ],
)
def test_descriptions_that_are_accepted(
    api: httpx.Client, account: Account, description: str | None, stored: str | None
) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", "description": description})
    assert response.status_code == 201, response.text
    assert response.json()["description"] == stored


@pytest.mark.parametrize("description", ["d" * 1001, "é" * 1001, "nul\x00here", "\udfff", 7, False, ["d"]])
def test_descriptions_that_are_refused(api: httpx.Client, account: Account, description: Any) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", "description": description})
    assert set(_errors(response)) == {"description"}


@pytest.mark.parametrize(("field", "value"), [("completed", "true"), ("completed", 1), ("completed", 0)])
def test_booleans_are_not_coerced(api: httpx.Client, account: Account, field: str, value: Any) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", field: value})
    assert set(_errors(response)) == {field}


@pytest.mark.parametrize("priority", ["urgent", "", "hi", 1, None, True, ["low"]])
def test_priorities_that_are_refused(api: httpx.Client, account: Account, priority: Any) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", "priority": priority})
    assert set(_errors(response)) == {"priority"}


@pytest.mark.parametrize(
    ("due_date", "stored"),
    [
        ("2026-12-01", "2026-12-01T00:00:00Z"),  # a date alone: midnight UTC
        ("2026-12-01T17:00", "2026-12-01T17:00:00Z"),  # no offset: UTC
        ("2026-12-01T17:00:00", "2026-12-01T17:00:00Z"),
        ("2026-12-01T17:00:00Z", "2026-12-01T17:00:00Z"),
        ("2026-12-01t17:00:00z", "2026-12-01T17:00:00Z"),
        ("2026-12-01 17:00:00+00:00", "2026-12-01T17:00:00Z"),
        ("2026-12-01T17:00:00.250+05:30", "2026-12-01T11:30:00.250000Z"),
        ("2026-12-01T01:00:00+02:00", "2026-11-30T23:00:00Z"),
        ("2024-02-29T12:00:00-08:00", "2024-02-29T20:00:00Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
        ("9999-12-30T23:59:59Z", "9999-12-30T23:59:59Z"),
        (None, None),
    ],
)
def test_due_dates_that_are_accepted(
    api: httpx.Client, account: Account, due_date: str | None, stored: str | None
) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", "due_date": due_date})
    assert response.status_code == 201, response.text
    assert response.json()["due_date"] == stored
    read = api.get(f"/api/tasks/{response.json()['id']}", headers=account.headers)
    assert read.json()["due_date"] == stored


@pytest.mark.parametrize(
    "due_date",
    [
        1764608400,
        1764608400.5,
        True,
        "1764608400",
        "tomorrow",
        " ",
        "2026-13-01",
        "2026-02-30",
        "2026-12-01T24:00:00Z",
        "2026-12-01T23:59:60Z",
        "2026-12-01T17:00:00+2:00",
        "2026-12-01T17:00:00.1234567Z",
        "20261201T170000Z",
        "2026-W48-2",
        "2026-12-01X17:00",
        "۲۰۲۶-۱۲-۰۱",  # non-ASCII digits
        " 2026-12-01",
        "1969-12-31T23:59:59Z",
        "0001-01-01",
        "9999-12-31",
        "9999-12-30T23:00:00-05:00",  # 9999-12-31T04:00Z: past the end of the range
        ["2026-12-01"],
        {"date": "2026-12-01"},
    ],
)
def test_due_dates_that_are_refused(api: httpx.Client, account: Account, due_date: Any) -> None:
    response = _send(api, "POST", "/api/tasks", account, {"title": "t", "due_date": due_date})
    assert set(_errors(response)) == {"due_date"}


def test_every_bad_field_is_named_at_once(api: httpx.Client, account: Account) -> None:
    body = {
        "title": " ",
        "description": "d" * 1001,
        "completed": "yes",
        "priority": "urgent",
        "due_date": "soon",
        "dueDate": "later",
        "tags": ["ok", 7],
        "category": "c" * 51,
        "id": 5,  # read-only: accepted and ignored, not an error
        "colour": "red",  # unknown: ignored, not an error
    }
    response = _send(api, "POST", "/api/tasks", account, body)
    errors = _errors(response)
    assert list(errors) == [
        "title",
        "description",
        "completed",
        "priority",
        "due_date",
        "dueDate",
        "tags",
        "category",
    ]
    assert response.json()["detail"] == "title: must not be empty or only whitespace."
    assert _task_count(api, account) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"completed": None}, "completed"),
        ({"priority": None}, "priority"),
        ({"title": ""}, "title"),
        ({"title": "a" * 201}, "title"),
        ({"description": "d" * 1001}, "description"),
        ({"completed": "false"}, "completed"),
        ({"due_date": 0}, "due_date"),
        ({"title": "ok", "priority": "none"}, "priority"),
    ],
)
def test_patch_validates_what_it_is_given(
    api: httpx.Client, account: Account, body: dict[str, Any], field: str
) -> None:
    created = _send(api, "POST", "/api/tasks", account, {"title": "t", "description": "d"}).json()
    response = _send(api, "PATCH", f"/api/tasks/{created['id']}", account, body)
    assert set(_errors(response)) == {field}
    assert api.get(f"/api/tasks/{created['id']}", headers=account.headers).json() == created


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**FULL, "title": " "}, {"title"}),
        ({**FULL, "completed": None}, {"completed"}),
        ({**FULL, "priority": None}, {"priority"}),
        ({**FULL, "due_date": "2026-02-30"}, {"due_date"}),
        ({"title": "", "priority": "urgent"}, {"title", "priority"}),
    ],
)
def test_put_validates_every_field_given(
    api: httpx.Client, account: Account, body: dict[str, Any], fields: set[str]
) -> None:
    created = _send(api, "POST", "/api/tasks", account, {"title": "t"}).json()
    response = _send(api, "PUT", f"/api/tasks/{created['id']}", account, body)
    assert set(_errors(response)) == fields
    assert api.get(f"/api/tasks/{created['id']}", headers=account.headers).json() == created


def test_put_and_patch_apply_the_same_trimming(api: httpx.Client, account: Account) -> None:
    created = _send(api, "POST", "/api/tasks", account, {"title": "t"}).json()
    url = f"/api/tasks/{created['id']}"
    replaced = _send(api, "PUT", url, account, {**FULL, "title": "  spaced  ", "description": "   "})
    assert replaced.json()["title"] == "spaced"
    assert replaced.json()["description"] is None
    patched = _send(api, "PATCH", url, account, {"title": "\tagain\n", "description": "  kept  "})
    assert patched.json()["title"] == "again"
    assert patched.json()["description"] == "kept"


def test_validation_runs_before_the_task_lookup(api: httpx.Client, account: Account) -> None:
    """A bad body is 400 whatever the id; a good body for a missing task is 404."""
    assert set(_errors(_send(api, "PATCH", "/api/tasks/2147483647", account, {"title": ""}))) == {"title"}
    missing = _send(api, "PATCH", "/api/tasks/2147483647", account, {"title": "x"})
    assert missing.status_code == 404
