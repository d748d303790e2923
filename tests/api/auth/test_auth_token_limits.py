"""HS256 tokens through the API: no token for ever; ours name local accounts, a frontend's name its own users.

The attacks, each with a token signed with the shared secret: `exp` in the year 9999 (a token that leaks once
is valid for ever), and a frontend token whose `sub` is a local account's id (it must not become that account).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt

from tests.support.app_state import TEST_SECRET, settings_from
from tests.support.auth import bearer, signup, token_of, unique_email
from tests.support.logs import capture_logs

YEAR_9999 = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())


def _account(api: httpx.Client) -> tuple[str, str]:
    """A signed-up user's id, and the token the API issued them."""
    response = signup(api, unique_email("limits"))
    return response.json()["user"]["id"], token_of(response)


def _signed(**claims: Any) -> dict[str, str]:
    return bearer(jwt.encode(claims, TEST_SECRET, algorithm="HS256"))


def _refused(api: httpx.Client, headers: dict[str, str], reason: str, detail: str) -> None:
    with capture_logs() as logs:
        response = api.get("/api/auth/verify", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": detail, "code": "invalid_token"}
    assert (
        response.headers["www-authenticate"] == f'Bearer error="invalid_token", error_description="{detail}"'
    )
    refusals = [record for record in logs.records if record["message"] == "authentication refused"]
    assert [record["reason"] for record in refusals] == [reason]


def _over(minutes: int, cap: str) -> str:
    return (
        f"Token lifetime (exp - iat) is over the {cap} this API accepts: issue shorter tokens, or raise "
        f"FRONTEND_TOKEN_MAX_LIFETIME_MINUTES (now {minutes})"
    )


def test_a_token_valid_until_the_year_9999_is_refused(api: httpx.Client) -> None:
    user_id, _ = _account(api)
    now = int(time.time())
    forever = _signed(sub=user_id, iss="todo-api", iat=now, exp=YEAR_9999)
    _refused(api, forever, "lifetime_too_long", _over(10080, "7 days"))


def test_a_frontend_token_naming_a_local_accounts_id_is_not_that_account(api: httpx.Client) -> None:
    """The shared secret mints a frontend's users, in their own namespace: a `sub` that happens to be a local
    account's id names another person, with their own (empty) task list."""
    user_id, issued = _account(api)
    created = api.post("/api/tasks", json={"title": "the local account's"}, headers=bearer(issued))
    assert created.status_code == 201, created.text
    now = int(time.time())
    frontend = _signed(sub=user_id, iat=now, exp=now + 3600)
    verified = api.get("/api/auth/verify", headers=frontend)
    assert verified.status_code == 200, verified.text
    assert verified.json()["user"]["id"] != user_id  # the id was taken: a generated one
    listing = api.get(f"/api/{user_id}/tasks", headers=frontend)  # the frontend writes its sub in paths
    assert listing.status_code == 200, listing.text
    assert listing.json()["tasks"] == []
    assert api.get("/api/tasks", headers=bearer(issued)).json()["total"] == 1


def test_our_tokens_carry_our_issuer(api: httpx.Client) -> None:
    _, issued = _account(api)
    assert jwt.decode(issued, options={"verify_signature": False})["iss"] == "todo-api"
    assert api.get("/api/auth/verify", headers=bearer(issued)).status_code == 200


def test_the_configured_cap_applies_to_every_kind(api: httpx.Client) -> None:
    user_id, _ = _account(api)
    now = int(time.time())
    two_hours = _signed(sub=user_id, iat=now, exp=now + 7200)
    assert api.get("/api/auth/verify", headers=two_hours).status_code == 200
    with settings_from(JWT_EXPIRES_MINUTES="15", FRONTEND_TOKEN_MAX_LIFETIME_MINUTES="60"):
        _refused(api, two_hours, "lifetime_too_long", _over(60, "1 hour"))
        _, issued = _account(api)  # a 15-minute token of ours
        assert api.get("/api/auth/verify", headers=bearer(issued)).status_code == 200
