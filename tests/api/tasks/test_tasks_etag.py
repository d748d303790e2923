"""Lost updates made visible: a task's version as its ETag, and If-Match on every write (412 when stale).

Every API test runs on SQLite, PostgreSQL and PostgreSQL through PgBouncer, in-process and through the Lambda
handlers (the ``api`` fixture). The races themselves are in test_tasks_concurrency.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from devtools.migrate import migrate
from devtools.serve import build_local_app
from tests.support.accounts import Account, create_account, direct_engine
from tests.support.app_state import Backend, empty_database
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import build_engine
from todo_shared.models import Task

pytestmark = pytest.mark.reliability

NOT_FOUND = {"detail": "Task not found.", "code": "task_not_found"}
PRECONDITION_FAILED = {
    "detail": "The task was changed by someone else since you read it; reload it and try again.",
    "code": "precondition_failed",
}
FULL_BODY = {
    "title": "Replaced",
    "description": None,
    "completed": False,
    "priority": "low",
    "due_date": None,
}
Write = tuple[str, str, dict[str, Any] | None]


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def _create(api: httpx.Client, account: Account, title: str = "A task") -> httpx.Response:
    response = api.post("/api/tasks", json={"title": title}, headers=account.headers)
    assert response.status_code == 201, response.text
    return response


def _url(task: httpx.Response) -> str:
    return f"/api/tasks/{task.json()['id']}"


def _with(account: Account, if_match: str) -> dict[str, str]:
    return {**account.headers, "If-Match": if_match}


def _stored(database: Backend, task_id: int) -> Task:
    """The row as the database holds it, read behind the API's back."""
    with Session(direct_engine(database.direct_url)) as session:
        task = session.get(Task, task_id)
    assert task is not None
    return task


# One request of each kind of write, every one a change to a task as created by _create (not completed).
WRITES: list[Write] = [
    ("PATCH", "{url}", {"title": "Changed"}),
    ("PUT", "{url}", {**FULL_BODY, "title": "Changed"}),
    ("PATCH", "{url}/complete", None),
    ("PATCH", "{url}/complete", {"completed": True}),
]


def _changing_writes(url: str) -> list[Write]:
    return [(method, path.format(url=url), body) for method, path, body in WRITES]


def _each_write_on_a_fresh_task(api: httpx.Client, account: Account) -> Iterator[tuple[int, Write]]:
    for method, path, body in WRITES:
        created = _create(api, account)
        yield created.json()["id"], (method, path.format(url=_url(created)), body)


def test_every_answer_with_one_task_has_its_version_as_etag_and_each_change_moves_it(
    api: httpx.Client, account: Account
) -> None:
    created = _create(api, account)
    assert created.headers["etag"] == '"1"'
    assert created.json()["version"] == 1
    url = _url(created)
    read = api.get(url, headers=account.headers)
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    scoped = api.get(f"/api/{account.user_id}/tasks/{created.json()['id']}", headers=account.headers)
    assert scoped.headers["etag"] == '"1"'
    steps: list[Write] = [
        ("PATCH", url, {"title": "Renamed"}),
        ("PUT", url, FULL_BODY),
        ("PATCH", f"{url}/complete", None),
        ("PATCH", f"{url}/complete", {"completed": False}),
    ]
    for expected, (method, path, body) in enumerate(steps, start=2):
        response = api.request(method, path, json=body, headers=account.headers)
        assert response.status_code == 200, (method, path, response.text)
        assert response.headers["etag"] == f'"{expected}"'
        assert response.json()["version"] == expected
    assert api.get(url, headers=account.headers).headers["etag"] == '"5"'


def test_a_write_that_changes_nothing_keeps_the_version(api: httpx.Client, account: Account) -> None:
    url = _url(_create(api, account, title="Same"))
    for method, path, body in (
        ("PATCH", url, {"title": "Same"}),
        ("PATCH", url, {}),
        ("PATCH", f"{url}/complete", {"completed": False}),
    ):
        response = api.request(method, path, json=body, headers=_with(account, '"1"'))
        assert response.status_code == 200, (method, path, response.text)
        assert response.headers["etag"] == '"1"'
        assert response.json()["version"] == 1


def test_if_match_with_the_current_etag_lets_each_write_through(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    for task_id, (method, path, body) in _each_write_on_a_fresh_task(api, account):
        response = api.request(method, path, json=body, headers=_with(account, '"1"'))
        assert response.status_code == 200, (method, path, response.text)
        assert response.headers["etag"] == '"2"'
        assert _stored(database, task_id).version == 2


def test_a_stale_if_match_is_412_with_the_current_etag_and_writes_nothing(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    for task_id, (method, path, body) in _each_write_on_a_fresh_task(api, account):
        url = f"/api/tasks/{task_id}"
        moved = api.patch(url, json={"priority": "high"}, headers=account.headers)
        assert moved.headers["etag"] == '"2"'
        response = api.request(method, path, json=body, headers=_with(account, '"1"'))
        assert response.status_code == 412, (method, path, response.text)
        assert response.json() == PRECONDITION_FAILED
        assert response.headers["etag"] == '"2"'
        assert api.get(url, headers=account.headers).json() == moved.json()
        assert _stored(database, task_id).version == 2


def test_if_match_star_matches_any_version_of_an_existing_task(api: httpx.Client, account: Account) -> None:
    url = _url(_create(api, account))
    api.patch(url, json={"title": "Moved on"}, headers=account.headers)
    response = api.patch(url, json={"title": "Star"}, headers=_with(account, "*"))
    assert response.status_code == 200
    assert response.json()["title"] == "Star"
    assert response.headers["etag"] == '"3"'
    missing = api.patch("/api/tasks/2147483647", json={"title": "x"}, headers=_with(account, "*"))
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND


def test_any_current_tag_in_a_list_or_in_repeated_lines_matches(api: httpx.Client, account: Account) -> None:
    url = _url(_create(api, account))
    listed = api.patch(url, json={"title": "Listed"}, headers=_with(account, '"7", W/"9" ,, "1"'))
    assert listed.status_code == 200
    repeated = api.patch(
        url,
        json={"title": "Repeated"},
        headers=[*account.headers.items(), ("If-Match", '"1"'), ("If-Match", '"2"')],
    )
    assert repeated.status_code == 200
    assert repeated.headers["etag"] == '"3"'


def test_a_weak_tag_never_matches(api: httpx.Client, account: Account) -> None:
    url = _url(_create(api, account))
    response = api.patch(url, json={"title": "Weak"}, headers=_with(account, 'W/"1"'))
    assert response.status_code == 412
    assert response.json() == PRECONDITION_FAILED
    assert response.headers["etag"] == '"1"'


@pytest.mark.parametrize("if_match", ["1", '"1', 'w/"1"', '"1" "2"', "", " , ", '"a b"', '*, "1"', '"1";'])
def test_a_malformed_if_match_is_400(api: httpx.Client, account: Account, if_match: str) -> None:
    url = _url(_create(api, account))
    for method, path, body in [*_changing_writes(url), ("DELETE", url, None)]:
        response = api.request(method, path, json=body, headers=_with(account, if_match))
        assert response.status_code == 400, (method, path, response.text)
        assert response.json()["code"] == "validation_error"
        assert [error["field"] for error in response.json()["errors"]] == ["If-Match"]
    assert api.get(url, headers=account.headers).json()["version"] == 1


def test_a_malformed_if_match_is_400_before_a_missing_task_is_404(
    api: httpx.Client, account: Account
) -> None:
    response = api.patch("/api/tasks/2147483647", json={"title": "x"}, headers=_with(account, "1"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "If-Match"


def test_delete_with_a_stale_if_match_is_412_and_the_task_stays(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    created = _create(api, account)
    url = _url(created)
    api.patch(url, json={"title": "Moved on"}, headers=account.headers)
    response = api.delete(url, headers=_with(account, '"1"'))
    assert response.status_code == 412
    assert response.json() == PRECONDITION_FAILED
    assert response.headers["etag"] == '"2"'
    assert _stored(database, created.json()["id"]).title == "Moved on"
    deleted = api.delete(url, headers=_with(account, '"2"'))
    assert deleted.status_code == 204
    assert api.get(url, headers=account.headers).status_code == 404


def test_without_if_match_the_last_write_wins(api: httpx.Client, database: Backend, account: Account) -> None:
    created = _create(api, account)
    url = _url(created)
    # Two editors read version 1; neither sends If-Match, so the second silently overwrites the first.
    first = api.patch(url, json={"title": "First editor"}, headers=account.headers)
    second = api.patch(url, json={"title": "Second editor"}, headers=account.headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers["etag"] == '"3"'
    stored = _stored(database, created.json()["id"])
    assert (stored.title, stored.version) == ("Second editor", 3)


def test_another_users_task_is_404_whatever_the_if_match(
    api: httpx.Client, database: Backend, account: Account
) -> None:
    other = create_account(database)
    theirs = _create(api, other)
    url = _url(theirs)
    for if_match in ('"1"', '"2"', "*"):
        for method, path, body in [*_changing_writes(url), ("DELETE", url, None)]:
            response = api.request(method, path, json=body, headers=_with(account, if_match))
            assert response.status_code == 404, (method, path, if_match)
            assert response.json() == NOT_FOUND
            assert "etag" not in response.headers
    stored = _stored(database, theirs.json()["id"])
    assert (stored.title, stored.completed, stored.version) == ("A task", False, 1)


def test_openapi_documents_if_match_412_and_etag() -> None:
    from starlette.testclient import TestClient

    with TestClient(build_local_app(get_settings())) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for prefix in ("/api/tasks/{task_id}", "/api/{user_id}/tasks/{task_id}"):
        for path, method in (
            (prefix, "put"),
            (prefix, "patch"),
            (prefix, "delete"),
            (f"{prefix}/complete", "patch"),
        ):
            operation = paths[path][method]
            assert "If-Match" in {parameter["name"] for parameter in operation["parameters"]}, (path, method)
            assert "ETag" in operation["responses"]["412"]["headers"], (path, method)
            if method != "delete":
                assert "ETag" in operation["responses"]["200"]["headers"], (path, method)
        assert "ETag" in paths[prefix]["get"]["responses"]["200"]["headers"]
    assert "ETag" in paths["/api/tasks"]["post"]["responses"]["201"]["headers"]


# --- The migration ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_migration_gives_existing_tasks_version_1(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as url:
        migrate(url, "0002")
        engine = build_engine(url, keep_connections=False)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO users (id, email, created_at, updated_at) "
                        "VALUES ('u1', 'u1@example.com', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO tasks (user_id, title, completed, priority, created_at, updated_at) "
                        "VALUES ('u1', 'Old task', false, 'medium', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            migrate(url)
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT title, version FROM tasks")).all()
        finally:
            engine.dispose()
    assert [tuple(row) for row in versions] == [("Old task", 1)]
