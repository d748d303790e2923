"""HS256 tokens through the API: no token for ever, none claiming another issuer; ours and a frontend's work.

The attacks, each with a token signed with the shared secret for a real account: `exp` in the year 9999 (a
token that leaks once is valid for ever), and `iss` naming someone else (a token of another service or of a
Better Auth origin passing as a local account's).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt

from tests.support.app_state import TEST_SECRET
from tests.support.auth import bearer, signup, token_of, unique_email
from tests.support.logs import capture_logs
from todo_shared.config.settings import get_settings

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
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": detail, "code": "invalid_token"}
    refusals = [record for record in logs.records if record["message"] == "authentication refused"]
    assert [record["reason"] for record in refusals] == [reason]


@contextmanager
def environment(**values: str) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def test_a_token_valid_until_the_year_9999_is_refused(api: httpx.Client) -> None:
    user_id, _ = _account(api)
    now = int(time.time())
    forever = _signed(sub=user_id, iat=now, exp=YEAR_9999)
    _refused(api, forever, "lifetime_too_long", "Token lifetime exceeds the maximum this API accepts")


def test_a_token_claiming_another_issuer_is_refused(api: httpx.Client) -> None:
    user_id, _ = _account(api)
    now = int(time.time())
    foreign = _signed(sub=user_id, iss="https://auth.example.com", iat=now, exp=now + 600)
    _refused(api, foreign, "bad_issuer", "Token issuer is not accepted")


def test_our_tokens_carry_our_issuer_and_a_frontend_token_without_one_works(api: httpx.Client) -> None:
    user_id, issued = _account(api)
    assert jwt.decode(issued, options={"verify_signature": False})["iss"] == "todo-api"
    assert api.get("/api/auth/verify", headers=bearer(issued)).status_code == 200
    now = int(time.time())
    frontend = _signed(user_id=user_id, iat=now, exp=now + 3600)
    response = api.get("/api/auth/verify", headers=frontend)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user_id


def test_the_configured_maximum_applies(api: httpx.Client) -> None:
    user_id, _ = _account(api)
    now = int(time.time())
    two_hours = _signed(sub=user_id, iat=now, exp=now + 7200)
    assert api.get("/api/auth/verify", headers=two_hours).status_code == 200
    with environment(JWT_EXPIRES_MINUTES="15", HS256_MAX_LIFETIME_MINUTES="60"):
        _refused(api, two_hours, "lifetime_too_long", "Token lifetime exceeds the maximum this API accepts")
        _, issued = _account(api)  # a 15-minute token of ours
        assert api.get("/api/auth/verify", headers=bearer(issued)).status_code == 200
