"""Database round trips per request, counted where pg8000 waits for the server (tests/support/round_trips.py;
on AWS, each is one network round trip to Neon that no local timing shows).

The budgets are exact, so a change that adds a query shows up here and in docs/performance.md alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from devtools.serve import build_local_app
from tests.support.app_state import Backend
from tests.support.auth import PASSWORD, bearer, signup, token_of, unique_email
from tests.support.jwks import frontend_token
from tests.support.round_trips import RoundTrips
from todo_shared.config.settings import get_settings
from todo_shared.db import pruning

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True),
]

# Each statement is 1 (todo_shared.thirdparty.pg8000; pg8000 alone: 3), the transaction's BEGIN travels with
# its first statement, a ROLLBACK is not waited for, COMMIT is 1. The kept connection answered a moment ago, so
# it is not pinged (a ping, after 30 s idle or when the socket turned readable, adds 1).
# pg8000 alone gave 6, 8, 11, 11, 11, 11, 14, 11 and 19 for these routes; with a pre-ping at every request and
# BEGIN and ROLLBACK waited for: 4, 4, 5, 5, 5, 5, 6, 5 and 11.
EXPECTED_ROUND_TRIPS = {
    "GET /health/ready": 1,
    "GET /api/auth/verify": 1,
    "GET /api/tasks": 2,  # the token's user and revocation, the page with its count
    "GET /api/{user_id}/tasks": 2,  # the same statement, answered as an array
    "GET /api/tasks?tag=…&category=…": 2,  # the filters are in the same statement
    "GET /api/tasks/tags": 2,
    "POST /api/tasks": 3,  # the token check, the INSERT, COMMIT
    "POST /api/tasks with tags and category": 3,  # tags are a column of the task: the same INSERT
    # The token check, the key's lookup (its lock taken in the same statement), the INSERT, and the key's answer
    # sent in COMMIT's flight.
    "POST /api/tasks with an Idempotency-Key": 4,
    "POST /api/tasks with an Idempotency-Key, replayed": 2,  # the token check, the lookup
    "GET /api/tasks/{id}": 2,
    "PATCH /api/tasks/{id}": 3,  # a write that changes nothing (the value is already set)
    "PATCH /api/tasks/{id} changing its tags": 4,  # the token check, the locked read, the UPDATE, COMMIT
    "PATCH /api/tasks/{id}/complete": 4,
    "DELETE /api/tasks/{id}": 3,
    "POST /api/auth/login": 7,  # the session and its first refresh token are two inserts
    "POST /api/auth/refresh": 5,
    "GET /api/auth/sessions": 2,
}
FIRST_SIGHT_ROUND_TRIPS = 5  # the miss, the revocation check, the adoption UPDATE (none here), INSERT, COMMIT


@pytest.fixture
def client(database: Backend) -> Iterator[httpx.Client]:
    with TestClient(build_local_app(get_settings()), base_url="http://testserver") as test_client:
        yield test_client


def trips_of(counter: RoundTrips, call: Callable[[], httpx.Response], status: int) -> int:
    call()  # the first call may open the connection (its handshake is not a per-request cost)
    counter.count = 0
    response = call()
    assert response.status_code == status, response.text
    return counter.count


@pytest.fixture
def no_pruning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expired state is pruned after about one write in 32 (a DELETE and a COMMIT more): never while counting."""
    monkeypatch.setattr(pruning, "PRUNE_ONE_IN", 2**62)


def test_round_trips_per_route(client: httpx.Client, round_trips: RoundTrips, no_pruning: None) -> None:
    email = unique_email("trips")
    token = token_of(signup(client, email=email))
    auth = bearer(token)
    for number in range(20):
        assert client.post("/api/tasks", json={"title": f"task {number}"}, headers=auth).status_code == 201
    task_id = client.get("/api/tasks", headers=auth).json()["tasks"][0]["id"]
    user_id = client.get("/api/auth/verify", headers=auth).json()["user"]["id"]
    tagged = {"title": "t", "tags": ["home", "errands"], "category": "Home", "dueDate": "2026-12-01"}
    tag_sets = iter([["a"], ["b"]] * 2)
    keys = iter(str(uuid.uuid4()) for _ in range(2))
    measured = {
        "GET /health/ready": trips_of(round_trips, lambda: client.get("/health/ready"), 200),
        "GET /api/auth/verify": trips_of(
            round_trips, lambda: client.get("/api/auth/verify", headers=auth), 200
        ),
        "GET /api/tasks": trips_of(round_trips, lambda: client.get("/api/tasks", headers=auth), 200),
        "GET /api/{user_id}/tasks": trips_of(
            round_trips, lambda: client.get(f"/api/{user_id}/tasks", headers=auth), 200
        ),
        "GET /api/tasks?tag=…&category=…": trips_of(
            round_trips,
            lambda: client.get("/api/tasks", params={"tag": "home", "category": "home"}, headers=auth),
            200,
        ),
        "GET /api/tasks/tags": trips_of(
            round_trips, lambda: client.get("/api/tasks/tags", headers=auth), 200
        ),
        "POST /api/tasks": trips_of(
            round_trips, lambda: client.post("/api/tasks", json={"title": "t"}, headers=auth), 201
        ),
        "POST /api/tasks with tags and category": trips_of(
            round_trips, lambda: client.post("/api/tasks", json=tagged, headers=auth), 201
        ),
        "POST /api/tasks with an Idempotency-Key": trips_of(
            round_trips,
            lambda: client.post(
                "/api/tasks", json={"title": "t"}, headers={**auth, "Idempotency-Key": next(keys)}
            ),
            201,
        ),
        "POST /api/tasks with an Idempotency-Key, replayed": trips_of(
            round_trips,
            lambda: client.post(
                "/api/tasks", json={"title": "t"}, headers={**auth, "Idempotency-Key": "same"}
            ),
            201,
        ),
        "GET /api/tasks/{id}": trips_of(
            round_trips, lambda: client.get(f"/api/tasks/{task_id}", headers=auth), 200
        ),
        "PATCH /api/tasks/{id}": trips_of(
            round_trips,
            lambda: client.patch(f"/api/tasks/{task_id}", json={"title": "x"}, headers=auth),
            200,
        ),
        "PATCH /api/tasks/{id} changing its tags": trips_of(
            round_trips,
            lambda: client.patch(f"/api/tasks/{task_id}", json={"tags": next(tag_sets)}, headers=auth),
            200,
        ),
        "PATCH /api/tasks/{id}/complete": trips_of(
            round_trips, lambda: client.patch(f"/api/tasks/{task_id}/complete", headers=auth), 200
        ),
        "POST /api/auth/login": trips_of(
            round_trips,
            lambda: client.post("/api/auth/login", json={"email": email, "password": PASSWORD}),
            200,
        ),
    }
    refresh_token = {"current": _refresh_token(client, email)}

    def refresh() -> httpx.Response:
        response = client.post("/api/auth/refresh", json={"refresh_token": refresh_token["current"]})
        refresh_token["current"] = response.json()["refresh_token"]
        return response

    measured["POST /api/auth/refresh"] = trips_of(round_trips, refresh, 200)
    measured["GET /api/auth/sessions"] = trips_of(
        round_trips, lambda: client.get("/api/auth/sessions", headers=auth), 200
    )
    doomed = _new_task(client, auth)
    round_trips.count = 0
    assert client.delete(f"/api/tasks/{doomed}", headers=auth).status_code == 204
    measured["DELETE /api/tasks/{id}"] = round_trips.count
    assert measured == EXPECTED_ROUND_TRIPS
    # The round-trip ceiling of docs/performance.md, token check included.
    assert measured["GET /api/tasks"] <= 10


def _refresh_token(client: httpx.Client, email: str) -> str:
    body = {"email": email, "password": PASSWORD, "refresh_token_in_body": True}
    token: str = client.post("/api/auth/login", json=body).json()["refresh_token"]
    return token


def _new_task(client: httpx.Client, auth: dict[str, str]) -> int:
    response = client.post("/api/tasks", json={"title": "to delete"}, headers=auth)
    assert response.status_code == 201
    task_id: int = response.json()["id"]
    return task_id


def test_a_frontend_users_first_token_costs_more_once_and_then_the_same(
    client: httpx.Client, round_trips: RoundTrips
) -> None:
    """A frontend's HS256 token for a user never seen creates the account (``FIRST_SIGHT_ROUND_TRIPS``); from
    then on the token check costs what ours does."""
    auth = bearer(frontend_token(sub=uuid.uuid4().hex))
    client.get("/health/ready")  # the connection opened
    round_trips.count = 0
    assert client.get("/api/auth/verify", headers=auth).status_code == 200
    assert round_trips.count == FIRST_SIGHT_ROUND_TRIPS
    assert (
        trips_of(round_trips, lambda: client.get("/api/auth/verify", headers=auth), 200)
        == (EXPECTED_ROUND_TRIPS["GET /api/auth/verify"])
    )
    assert (
        trips_of(round_trips, lambda: client.get("/api/tasks", headers=auth), 200)
        == (EXPECTED_ROUND_TRIPS["GET /api/tasks"])
    )
