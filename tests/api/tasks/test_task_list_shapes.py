"""A task list per path style: a bare array on the spec's path (or the page object when the deployment says so),
the page object on ``/api/tasks``, the paging in ``X-Total-Count`` and ``Link`` on both, and the literal routes
under ``…/tasks/`` reachable on both path styles (docs/adr/0035-task-list-shape-per-path-style.md).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Match

from devtools.functions import load_function
from tests.support.accounts import Account, create_account
from tests.support.app_state import Backend

LINK = re.compile(r'<([^>]*)>; rel="([a-z]+)"')


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _links(response: httpx.Response) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """rel → (path, query pairs) of the Link header."""
    found: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for target, rel in LINK.findall(response.headers["link"]):
        parts = urlsplit(target)
        found[rel] = (parts.path, parse_qsl(parts.query, keep_blank_values=True))
    return found


def _titles(response: httpx.Response) -> list[str]:
    body = response.json()
    return [task["title"] for task in (body if isinstance(body, list) else body["tasks"])]


def _list_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["paths"][path]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    return schema


def _seed(api: httpx.Client, account: Account, count: int) -> None:
    for number in range(count):
        body = {"title": f"task {number}", "tags": ["Home", "chores"] if number % 2 == 0 else ["home"]}
        assert api.post("/api/tasks", json=body, headers=account.headers).status_code == 201


@pytest.mark.parametrize("style", ["own", "user"])
def test_link_pages_keep_the_filters_and_lead_to_every_page(
    api: httpx.Client, account: Account, style: str
) -> None:
    _seed(api, account, 7)  # tasks 0, 2, 4, 6 have both tags
    prefix = "/api/tasks" if style == "own" else f"/api/{account.user_id}/tasks"
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("tag", "home"),
        ("tag", "CHORES"),
        ("sort", "title"),
        ("sort_by", "ignored"),
        ("limit", "1"),
        ("offset", "1"),
    ]
    response = api.get(prefix, params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    assert _titles(response) == ["task 2"]
    assert response.headers["x-total-count"] == "4"
    links = _links(response)
    assert list(links) == ["first", "prev", "next", "last"]
    kept = [("tag", "home"), ("tag", "CHORES"), ("sort", "title"), ("sort_by", "ignored"), ("limit", "1")]
    offsets = {"first": "0", "prev": "0", "next": "2", "last": "3"}
    for rel, (path, query) in links.items():
        assert path == prefix
        assert query == [*kept, ("offset", offsets[rel])], rel
    # Following the links walks the pages, each with the same filters.
    seen = []
    target: str | None = response.headers["link"].split(">")[0].lstrip("<")  # first
    while target is not None:
        page = api.get(target, headers=account.headers)
        seen.extend(_titles(page))
        target = next((url for url, rel in LINK.findall(page.headers["link"]) if rel == "next"), None)
    assert seen == ["task 0", "task 2", "task 4", "task 6"]


def test_the_first_page_has_no_prev_the_last_no_next(api: httpx.Client, account: Account) -> None:
    _seed(api, account, 3)
    first = _links(api.get("/api/tasks", params={"limit": 2}, headers=account.headers))
    assert list(first) == ["first", "next", "last"]
    assert first["last"][1][-1] == ("offset", "2")
    last = _links(api.get("/api/tasks", params={"limit": 2, "offset": 2}, headers=account.headers))
    assert list(last) == ["first", "prev", "last"]
    everything = _links(api.get("/api/tasks", headers=account.headers))
    assert list(everything) == ["first", "last"]


def test_an_empty_list_counts_zero_and_links_to_itself(api: httpx.Client, account: Account) -> None:
    response = api.get(f"/api/{account.user_id}/tasks", headers=account.headers)
    assert (response.json(), response.headers["x-total-count"]) == ([], "0")
    assert {rel: query for rel, (_, query) in _links(response).items()} == {
        "first": [("limit", "50"), ("offset", "0")],
        "last": [("limit", "50"), ("offset", "0")],
    }


def test_past_the_end_the_count_and_the_links_still_hold(api: httpx.Client, account: Account) -> None:
    _seed(api, account, 3)
    response = api.get(
        f"/api/{account.user_id}/tasks", params={"offset": 10, "limit": 2}, headers=account.headers
    )
    assert (response.json(), response.headers["x-total-count"]) == ([], "3")
    links = _links(response)
    assert (links["prev"][1][-1], links["last"][1][-1]) == (("offset", "8"), ("offset", "2"))
    assert "next" not in links


@pytest.mark.usefixtures("spec_path_lists_the_object")
def test_with_the_setting_both_path_styles_answer_the_same_page(api: httpx.Client, account: Account) -> None:
    _seed(api, account, 3)
    own = api.get("/api/tasks", params={"limit": 2}, headers=account.headers)
    spec = api.get(f"/api/{account.user_id}/tasks", params={"limit": 2}, headers=account.headers)
    assert spec.json() == own.json()
    assert set(spec.json()) == {"tasks", "total", "limit", "offset"}
    assert spec.headers["x-total-count"] == own.headers["x-total-count"] == "3"
    assert spec.headers["link"] == own.headers["link"].replace("/api/tasks", f"/api/{account.user_id}/tasks")
    # The document says so (the local server's live one, or the docs function's).
    document = api.get("/openapi.json").json()
    assert _list_schema(document, "/api/{user_id}/tasks") == {"$ref": "#/components/schemas/TasksPublic"}


# --- Literal routes under …/tasks/ -------------------------------------------------------------------------------

# The literal suffixes under …/tasks/ and an example of each one's answer.
LITERALS = {"/tags": list}


def test_every_literal_route_under_tasks_is_reached_before_the_task_id_route() -> None:
    """In the tasks function's route order (its router's, which its app and the local server match in): the first
    route that matches a literal path with its method is the literal route, on both path styles, never
    ``{task_id}``."""
    routes = [route for route in load_function("tasks").router.routes if isinstance(route, APIRoute)]
    literal = [route for route in routes if re.search(r"/tasks/[^{]", route.path)]
    assert {route.path.split("/tasks", 1)[1] for route in literal} == set(LITERALS)
    assert len(literal) == 2 * len(LITERALS)  # both path styles
    for route in literal:
        path = route.path.replace("{user_id}", "someone")
        for method in route.methods or ():
            scope: dict[str, Any] = {
                "type": "http",
                "path": path,
                "method": method,
                "headers": [],
                "query_string": b"",
            }
            first = next(each for each in routes if each.matches(scope)[0] is Match.FULL)
            assert first is route, f"{method} {path} is taken by {first.path}"


@pytest.mark.parametrize("suffix", list(LITERALS))
@pytest.mark.parametrize("slash", ["", "/"])
def test_every_literal_route_under_tasks_answers_on_both_path_styles(
    api: httpx.Client, account: Account, suffix: str, slash: str
) -> None:
    assert (
        api.post("/api/tasks", json={"title": "t", "tags": ["x"]}, headers=account.headers).status_code == 201
    )
    for prefix in ("/api/tasks", f"/api/{account.user_id}/tasks"):
        response = api.get(f"{prefix}{suffix}{slash}", headers=account.headers)
        assert response.status_code == 200, (prefix, response.text)
        assert isinstance(response.json(), LITERALS[suffix])


# --- What the OpenAPI document says ----------------------------------------------------------------------------


def test_the_document_says_array_on_the_spec_path_and_object_elsewhere(api: httpx.Client) -> None:
    document = api.get("/openapi.json").json()  # the local server's live one, or the docs function's
    assert _list_schema(document, "/api/{user_id}/tasks")["type"] == "array"
    assert _list_schema(document, "/api/{user_id}/tasks")["items"] == {
        "$ref": "#/components/schemas/TaskPublic"
    }
    assert _list_schema(document, "/api/tasks") == {"$ref": "#/components/schemas/TasksPublic"}
    for path in ("/api/tasks", "/api/{user_id}/tasks"):
        headers = document["paths"][path]["get"]["responses"]["200"]["headers"]
        assert {name: header["required"] for name, header in headers.items()} == {
            "X-Total-Count": True,
            "Link": True,
        }
