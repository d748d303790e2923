"""Tags and the category: normalised as documented, bounded, filtered (``tag`` ANDed, ``category``), searched by
``q``, listed by ``GET …/tasks/tags``; every database, both clients (docs/adr/0036-task-tags-storage.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _create(api: httpx.Client, account: Account, **body: Any) -> dict[str, Any]:
    response = api.post("/api/tasks", json={"title": "t", **body}, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def _titles(api: httpx.Client, account: Account, **params: Any) -> list[str]:
    response = api.get("/api/tasks", params={"sort": "title", **params}, headers=account.headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["tasks"]]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (["  Work ", "work", "WORK", "home", "", "   "], ["Work", "home"]),
        (["a b", "A B", "a  b"], ["a b", "a  b"]),
        (["Ünïcode", "ünïcode", "漢字"], ["Ünïcode", "漢字"]),
        ("x,y , ,X", ["x", "y"]),
        ("", []),
        (None, []),
        (["t" * 50], ["t" * 50]),
        ([f"tag{number}" for number in range(20)], [f"tag{number}" for number in range(20)]),
        (["a,b"], ["a,b"]),
    ],
    ids=[
        "trimmed-deduplicated",
        "inner-spaces-kept",
        "non-ascii",
        "comma-string",
        "empty-string",
        "null",
        "50-chars",
        "20-tags",
        "comma-inside",
    ],
)
def test_tags_are_normalised(api: httpx.Client, account: Account, sent: Any, stored: list[str]) -> None:
    assert _create(api, account, tags=sent)["tags"] == stored


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (["t" * 51], "Each tag must be at most 50 characters."),
        ([f"tag{number}" for number in range(21)], "At most 20 tags."),
        (["ok", 1], "Each tag must be a string."),
        (["a\x00b"], "Must not contain NUL characters."),
        ({"work": True}, "Must be a list of strings, or one string of comma-separated tags."),
        (7, "Must be a list of strings, or one string of comma-separated tags."),
    ],
    ids=["too-long", "too-many", "not-a-string", "nul", "object", "number"],
)
def test_tags_out_of_bounds_are_a_400(api: httpx.Client, account: Account, sent: Any, message: str) -> None:
    response = api.post("/api/tasks", json={"title": "t", "tags": sent}, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "tags", "message": message}]


def test_an_update_replaces_the_tags_and_null_clears_them(api: httpx.Client, account: Account) -> None:
    task = _create(api, account, tags=["a", "b"], category="Home")
    url = f"/api/tasks/{task['id']}"
    replaced = api.patch(url, json={"tags": ["c"]}, headers=account.headers).json()
    assert (replaced["tags"], replaced["category"], replaced["version"]) == (["c"], "Home", 2)
    same = api.put(url, json={"tags": ["c"], "category": "Home"}, headers=account.headers).json()
    assert same["version"] == 2  # nothing changed
    cleared = api.patch(url, json={"tags": None, "category": ""}, headers=account.headers).json()
    assert (cleared["tags"], cleared["category"]) == ([], None)


def test_the_tag_filter_wants_every_tag_given_in_any_case(api: httpx.Client, account: Account) -> None:
    _create(api, account, title="both", tags=["Work", "urgent"])
    _create(api, account, title="work only", tags=["work"])
    _create(api, account, title="none")
    assert _titles(api, account, tag="WORK") == ["both", "work only"]
    assert _titles(api, account, tag=["work", "Urgent"]) == ["both"]
    assert _titles(api, account, tag=["work", "missing"]) == []
    assert _titles(api, account, tag=["  work  ", ""]) == ["both", "work only"]  # trimmed; empty ignored
    assert _titles(api, account, tag="wor") == []  # whole tags only (q finds parts)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tag": "a\x00"}, "tag"),
        ({"tag": "t" * 51}, "tag"),
        ({"tag": [str(n) for n in range(21)]}, "tag"),
        ({"category": "c" * 51}, "category"),
        ({"priority": "urgent"}, "priority"),
    ],
    ids=["tag-nul", "tag-too-long", "too-many-tags", "category-too-long", "priority-unknown"],
)
def test_bad_filters_are_a_400_naming_them(
    api: httpx.Client, account: Account, params: dict[str, Any], field: str
) -> None:
    response = api.get("/api/tasks", params=params, headers=account.headers)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_q_finds_text_in_tags_too_literally(api: httpx.Client, account: Account) -> None:
    _create(api, account, title="groceries", tags=["Shopping-list"])
    _create(api, account, title="percent", tags=["100%"])
    _create(api, account, title="plain", description="nothing")
    assert _titles(api, account, q="shop") == ["groceries"]
    assert _titles(api, account, q="%") == ["percent"]
    assert _titles(api, account, q='"') == []  # the stored JSON's quotes are not searched


def test_the_category_filter_ignores_case(api: httpx.Client, account: Account) -> None:
    _create(api, account, title="a", category="Work")
    _create(api, account, title="b", category="work")
    _create(api, account, title="c", category="Home")
    _create(api, account, title="d")
    assert _titles(api, account, category="WORK") == ["a", "b"]
    assert _titles(api, account, category=" home ") == ["c"]
    assert _titles(api, account, category="") == ["a", "b", "c", "d"]


def test_filters_combine(api: httpx.Client, account: Account) -> None:
    _create(api, account, title="match", tags=["x"], category="C", priority="high", completed=True)
    _create(api, account, title="other priority", tags=["x"], category="C", completed=True)
    _create(api, account, title="other status", tags=["x"], category="C", priority="high")
    params = {"tag": "X", "category": "c", "priority": "High", "status": "completed", "q": "mat"}
    assert _titles(api, account, **params) == ["match"]


def test_the_tags_list_names_each_tag_once_in_alphabetical_order(api: httpx.Client, account: Account) -> None:
    assert api.get("/api/tasks/tags", headers=account.headers).json() == []
    _create(api, account, tags=["work", "Zeta", "alpha"])
    _create(api, account, tags=["Work", "beta"])
    _create(api, account, tags=[])
    expected = ["alpha", "beta", "Work", "Zeta"]  # case-insensitive order; "Work" < "work" in code points
    assert api.get("/api/tasks/tags", headers=account.headers).json() == expected
    assert api.get(f"/api/{account.user_id}/tasks/tags", headers=account.headers).json() == expected
