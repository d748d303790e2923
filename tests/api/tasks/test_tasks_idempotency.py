"""Creates with an ``Idempotency-Key`` (the IETF httpapi draft): the same key and body replay the first answer,
another body is a 422, a key still being processed a 409; a create whose answer was lost (a 503 after its
COMMIT) is found by its retry; keys expire after 24 hours and are pruned.
"""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from sqlmodel import Session, col, func, select

from tests.support.accounts import Account, create_account, direct_engine
from tests.support.app_state import Backend
from tests.support.auth import run_concurrently
from todo_shared.db import pruning
from todo_shared.models import IdempotencyRecord, Task, utc_now
from todo_shared.tasks import idempotency as task_idempotency
from todo_shared.thirdparty.pg8000 import PipelinedConnection

pytestmark = pytest.mark.reliability

REUSED = {
    "detail": "This Idempotency-Key was already used with a different request body; send a new key for a new "
    "request.",
    "code": "idempotency_key_reused",
}
IN_USE = {
    "detail": "A request with this Idempotency-Key is still being processed; retry it shortly.",
    "code": "idempotency_key_in_use",
}


@pytest.fixture
def account(database: Backend) -> Account:
    return create_account(database)


def keyed(account: Account, key: str) -> dict[str, str]:
    return {**account.headers, "Idempotency-Key": key}


def stored_titles(database: Backend, user_id: str) -> list[str]:
    with Session(direct_engine(database.direct_url)) as session:
        return list(
            session.exec(select(Task.title).where(col(Task.user_id) == user_id).order_by(col(Task.id)))
        )


def stored_keys(database: Backend, user_id: str) -> int:
    with Session(direct_engine(database.direct_url)) as session:
        return session.exec(
            select(func.count())
            .select_from(IdempotencyRecord)
            .where(col(IdempotencyRecord.user_id) == user_id)
        ).one()


@pytest.mark.parametrize("retry_path", ["/api/tasks", "/api/{user_id}/tasks"])
def test_the_same_key_and_body_replay_the_first_answer_and_create_nothing_more(
    api: httpx.Client, account: Account, database: Backend, retry_path: str
) -> None:
    key = str(uuid.uuid4())
    body = {"title": "Once", "tags": ["home"], "priority": "HIGH"}
    first = api.post("/api/tasks", json=body, headers=keyed(account, key))
    again = api.post(retry_path.format(user_id=account.user_id), json=body, headers=keyed(account, key))
    assert first.status_code == again.status_code == 201
    assert first.content == again.content  # the first answer's bytes
    assert first.headers["etag"] == again.headers["etag"] == f'"{first.json()["version"]}"'
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["title"] == "Once"
    assert stored_titles(database, account.user_id) == ["Once"]


def test_the_first_answer_is_replayed_as_it_was_even_after_the_task_changed(
    api: httpx.Client, account: Account
) -> None:
    key = str(uuid.uuid4())
    first = api.post("/api/tasks", json={"title": "Draft"}, headers=keyed(account, key))
    changed = api.patch(f"/api/tasks/{first.json()['id']}", json={"title": "Final"}, headers=account.headers)
    assert changed.status_code == 200
    again = api.post("/api/tasks", json={"title": "Draft"}, headers=keyed(account, key))
    assert (again.status_code, again.json()) == (201, first.json())


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    api: httpx.Client, account: Account, database: Backend
) -> None:
    key = str(uuid.uuid4())
    assert api.post("/api/tasks", json={"title": "First"}, headers=keyed(account, key)).status_code == 201
    other = api.post("/api/tasks", json={"title": "Second"}, headers=keyed(account, key))
    assert (other.status_code, other.json()) == (422, REUSED)
    assert stored_titles(database, account.user_id) == ["First"]


def test_keys_are_per_user(api: httpx.Client, account: Account, database: Backend) -> None:
    someone = create_account(database)
    key = str(uuid.uuid4())
    mine = api.post("/api/tasks", json={"title": "Mine"}, headers=keyed(account, key))
    theirs = api.post("/api/tasks", json={"title": "Theirs"}, headers=keyed(someone, key))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert stored_titles(database, someone.user_id) == ["Theirs"]


def test_a_quoted_key_is_the_same_key(api: httpx.Client, account: Account, database: Backend) -> None:
    """The draft's header is a Structured Field string; most clients send the bare value."""
    key = uuid.uuid4().hex
    assert api.post("/api/tasks", json={"title": "Q"}, headers=keyed(account, f'"{key}"')).status_code == 201
    again = api.post("/api/tasks", json={"title": "Q"}, headers=keyed(account, key))
    assert again.headers["idempotent-replayed"] == "true"
    assert stored_titles(database, account.user_id) == ["Q"]


@pytest.mark.parametrize(
    "key", [b"", b'""', b"x" * 256, "caf\u00e9".encode(), b'a"b', b"a\\b", b"a\tb"], ids=repr
)
def test_a_malformed_key_is_a_400_naming_the_header(api: httpx.Client, account: Account, key: bytes) -> None:
    headers = [*((name.encode(), value.encode()) for name, value in account.headers.items())]
    headers.append((b"Idempotency-Key", key))
    response = api.post("/api/tasks", json={"title": "t"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "Idempotency-Key", "message": "Must be 1 to 255 printable ASCII characters, e.g. a UUID."}
    ]


def test_simultaneous_requests_with_one_key_create_one_task(
    api: httpx.Client, account: Account, database: Backend
) -> None:
    """Each answer is the task's 201 (the first, or its replay) or, while the first still runs, a 409."""
    key = str(uuid.uuid4())
    post = functools.partial(api.post, "/api/tasks", json={"title": "Raced"}, headers=keyed(account, key))
    answers = run_concurrently([post] * 6)
    assert {answer.status_code for answer in answers} <= {201, 409}
    created = [answer for answer in answers if answer.status_code == 201]
    assert created
    assert len({answer.content for answer in created}) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert (answer.json(), answer.headers["retry-after"]) == (IN_USE, "1")
    assert stored_titles(database, account.user_id) == ["Raced"]


@pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True)
def test_a_key_whose_first_request_is_still_running_is_a_409(
    api: httpx.Client, account: Account, database: Backend
) -> None:
    """The running request holds the key's transaction-scoped lock: held here as it would."""
    key = str(uuid.uuid4())
    with direct_engine(database.direct_url).connect() as running:
        name = f"idempotency\x1f{account.user_id}\x1f{key}"
        running.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name})
        busy = api.post("/api/tasks", json={"title": "Busy"}, headers=keyed(account, key))
        running.rollback()
    assert (busy.status_code, busy.json(), busy.headers["retry-after"]) == (409, IN_USE, "1")
    after = api.post("/api/tasks", json={"title": "Busy"}, headers=keyed(account, key))
    assert after.status_code == 201
    assert "idempotent-replayed" not in after.headers


@pytest.fixture
def answer_lost_after_commit(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next COMMIT reaches the server and holds, and then the connection breaks before its answer is read:
    the request can only answer 503 (the write's outcome is unknown to it)."""
    from pg8000.exceptions import InterfaceError

    original = PipelinedConnection.commit
    lost: list[int] = []

    def commit_then_break(self: PipelinedConnection) -> None:
        original(self)
        if not lost:
            lost.append(1)
            raise InterfaceError("network error (connection reset after COMMIT)")

    monkeypatch.setattr(PipelinedConnection, "commit", commit_then_break)
    return lost


@pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True)
def test_a_create_answered_503_after_its_commit_is_found_by_its_retry(
    api: httpx.Client, account: Account, database: Backend, answer_lost_after_commit: list[int]
) -> None:
    key = str(uuid.uuid4())
    lost = api.post("/api/tasks", json={"title": "Uncertain"}, headers=keyed(account, key))
    assert (lost.status_code, lost.json()["code"]) == (503, "database_unavailable")
    assert answer_lost_after_commit == [1]
    retried = api.post("/api/tasks", json={"title": "Uncertain"}, headers=keyed(account, key))
    assert (retried.status_code, retried.json()["title"]) == (201, "Uncertain")
    assert retried.headers["idempotent-replayed"] == "true"
    assert stored_titles(database, account.user_id) == ["Uncertain"]


def _age_keys(database: Backend, user_id: str, by: timedelta) -> None:
    with Session(direct_engine(database.direct_url)) as session:
        session.exec(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.user_id) == user_id)
            .values(created_at=utc_now() - by)
        )
        session.commit()


def test_a_key_older_than_a_day_is_a_new_request(
    api: httpx.Client, account: Account, database: Backend
) -> None:
    key = str(uuid.uuid4())
    assert api.post("/api/tasks", json={"title": "Old"}, headers=keyed(account, key)).status_code == 201
    _age_keys(database, account.user_id, timedelta(hours=24, minutes=1))
    again = api.post("/api/tasks", json={"title": "New"}, headers=keyed(account, key))
    assert (again.status_code, again.json()["title"]) == (201, "New")
    assert "idempotent-replayed" not in again.headers
    assert stored_titles(database, account.user_id) == ["Old", "New"]
    assert stored_keys(database, account.user_id) == 1


def test_expired_keys_are_pruned_now_and_then(
    api: httpx.Client, account: Account, database: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    first: dict[str, Any] = {"json": {"title": "a"}, "headers": keyed(account, str(uuid.uuid4()))}
    assert api.post("/api/tasks", **first).status_code == 201
    _age_keys(database, account.user_id, timedelta(hours=25))
    fresh: dict[str, Any] = {"json": {"title": "b"}, "headers": keyed(account, str(uuid.uuid4()))}
    monkeypatch.setattr(pruning, "PRUNE_ONE_IN", 1)  # "now and then" is every time
    assert api.post("/api/tasks", **fresh).status_code == 201
    assert stored_keys(database, account.user_id) == 1  # the fresh one only


def test_a_key_stored_between_the_lookup_and_the_write_is_replayed_and_the_second_task_undone(
    api: httpx.Client, account: Account, database: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the lookup cannot see (on PostgreSQL: a request that committed the key just after the lookup's
    snapshot): the key's unique row refuses our write, our task is rolled back, and the stored answer is replayed."""
    key = str(uuid.uuid4())
    first = api.post("/api/tasks", json={"title": "Raced"}, headers=keyed(account, key))
    lookup = task_idempotency._lookup
    calls: list[int] = []

    def blind_first(session: Any, owner_id: str, key: str) -> Any:
        free, record = lookup(session, owner_id, key)
        calls.append(1)
        return (free, None) if len(calls) == 1 else (free, record)  # the first lookup misses the stored key

    monkeypatch.setattr(task_idempotency, "_lookup", blind_first)
    again = api.post("/api/tasks", json={"title": "Raced"}, headers=keyed(account, key))
    assert len(calls) == 2
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert stored_titles(database, account.user_id) == ["Raced"]
