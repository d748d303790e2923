"""Sessions, black-box through the handlers: rotation, reuse detection, ending sessions, password change.

Each "device" is its own client with its own cookie jar, of the same kind as the ``api`` fixture's (in-process
ASGI or the Lambda handlers), on the same database.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, col, select, update
from starlette.testclient import TestClient

from devtools.lambda_kit.transport import LambdaTransport
from devtools.serve import build_local_app
from tests.support.auth import (
    PASSWORD,
    bearer,
    run_concurrently,
    signup,
    through_lambda,
    token_of,
    unique_email,
)
from tests.support.leak_guard import register_secret, register_token
from todo_shared.auth import session_store
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import get_engine
from todo_shared.models import AuthSession, RefreshToken

REFRESH_COOKIE = "todo_refresh"


@contextmanager
def device(api: httpx.Client) -> Iterator[httpx.Client]:
    """Another client like ``api`` (its own cookies), as a second browser or phone would be."""
    if through_lambda(api):
        with httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as client:
            yield client
    else:
        with TestClient(build_local_app(get_settings()), base_url="http://testserver") as client:
            yield client


def refresh_cookie_header(response: httpx.Response) -> str:
    cookies = [value for name, value in response.headers.multi_items() if name == "set-cookie"]
    matching = [cookie for cookie in cookies if cookie.startswith(f"{REFRESH_COOKIE}=")]
    assert len(matching) == 1, cookies
    return matching[0]


def login(client: httpx.Client, email: str, password: str = PASSWORD, **extra: object) -> httpx.Response:
    response = client.post("/api/auth/login", json={"email": email, "password": password, **extra})
    assert response.status_code == 200, response.text
    register_token(response.json()["token"], "a token of a session test")
    if response.json().get("refresh_token"):
        register_token(response.json()["refresh_token"], "a refresh token of a session test")
    return response


def refresh_with(client: httpx.Client, refresh_token: str) -> httpx.Response:
    response = client.post("/api/auth/refresh", json={"refresh_token": refresh_token})
    if response.status_code == 200:
        register_token(response.json()["token"], "a refreshed token")
        register_token(response.json()["refresh_token"], "a refreshed refresh token")
    return response


def new_account(api: httpx.Client) -> str:
    """A registered email whose signup session has ended (each test then signs in as it needs)."""
    email = unique_email("session")
    token = token_of(signup(api, email))
    assert api.post("/api/auth/logout", headers=bearer(token)).status_code == 200
    api.cookies.clear()
    return email


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> timedelta:
    grace = timedelta(seconds=1)
    monkeypatch.setattr(session_store, "REUSE_GRACE", grace)
    return grace


def test_login_opens_a_session_with_a_short_access_token_and_a_refresh_cookie(api: httpx.Client) -> None:
    email = new_account(api)
    response = login(api, email)
    body = response.json()
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=14) < expires_at - datetime.now(UTC) <= timedelta(minutes=15, seconds=5)
    assert body["refresh_token"] is None  # a browser's refresh token is never readable by page scripts
    cookie = refresh_cookie_header(response)
    assert "HttpOnly" in cookie
    assert "Path=/api/auth" in cookie
    if through_lambda(api):  # https, as on API Gateway
        assert {"Secure", "SameSite=None", "Partitioned"} <= {part.strip() for part in cookie.split(";")}


def test_the_whole_life_of_a_session_ends_at_the_reuse_of_a_refresh_token(api: httpx.Client) -> None:
    """login → refresh ×3 → the first refresh token again: the session ends, every token of it dead."""
    email = new_account(api)
    first = login(api, email, refresh_token_in_body=True).json()
    refresh_tokens = [first["refresh_token"]]
    access = first["token"]
    for _ in range(3):
        renewed = refresh_with(api, refresh_tokens[-1])
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["refresh_token"] not in refresh_tokens
        refresh_tokens.append(renewed.json()["refresh_token"])
        access = renewed.json()["token"]
        assert api.get("/api/tasks", headers=bearer(access)).status_code == 200
    _age_refresh_token(refresh_tokens[0], seconds=60)  # used a minute ago: past the grace window

    stolen = refresh_with(api, refresh_tokens[0])
    assert stolen.status_code == 401
    assert stolen.headers["www-authenticate"] == "Bearer"
    assert stolen.json() == {
        "detail": "This refresh token was already used; the session has been ended. Please sign in again.",
        "code": "refresh_token_reused",
    }
    # The current access token is dead on the tasks function, and so is the latest refresh token.
    assert api.get("/api/tasks", headers=bearer(access)).status_code == 401
    latest = refresh_with(api, refresh_tokens[-1])
    assert latest.status_code == 401
    assert latest.json()["code"] == "invalid_refresh_token"
    # Another container sees the same (the state is in the database).
    with device(api) as other:
        assert other.get("/api/tasks", headers=bearer(access)).status_code == 401


def _age_refresh_token(raw_token: str, *, seconds: int) -> None:
    """Pretend the token was used ``seconds`` ago (instead of sleeping past the grace window)."""
    with Session(get_engine()) as session:
        stored = session.exec(
            select(RefreshToken).where(col(RefreshToken.token_hash) == session_store.digest(raw_token))
        ).one()
        assert stored.used_at is not None
        session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.token_hash) == stored.token_hash)
            .values(used_at=stored.used_at - timedelta(seconds=seconds))
        )
        session.commit()


def test_parallel_refreshes_of_one_token_share_one_successor(
    api: httpx.Client, short_grace: timedelta
) -> None:
    email = new_account(api)
    refresh_token = login(api, email, refresh_token_in_body=True).json()["refresh_token"]
    answers = run_concurrently([lambda: refresh_with(api, refresh_token) for _ in range(4)])
    assert [answer.status_code for answer in answers] == [200] * 4, [answer.text for answer in answers]
    successors = {answer.json()["refresh_token"] for answer in answers}
    assert len(successors) == 1  # exactly one successor, no false alarm
    (successor,) = successors
    for answer in answers:  # every answer's access token works
        assert api.get("/api/tasks", headers=bearer(answer.json()["token"])).status_code == 200

    time.sleep(short_grace.total_seconds() + 0.5)
    late = refresh_with(api, refresh_token)
    assert late.status_code == 401
    assert late.json()["code"] == "refresh_token_reused"
    assert refresh_with(api, successor).json()["code"] == "invalid_refresh_token"


def test_a_second_refresh_within_the_grace_window_gets_the_same_successor(api: httpx.Client) -> None:
    email = new_account(api)
    refresh_token = login(api, email, refresh_token_in_body=True).json()["refresh_token"]
    first = refresh_with(api, refresh_token)
    again = refresh_with(api, refresh_token)  # a retried request
    assert first.status_code == again.status_code == 200
    assert first.json()["refresh_token"] == again.json()["refresh_token"]
    assert first.json()["token"] != again.json()["token"]


def test_refresh_from_the_cookie_alone_rotates_the_cookie(api: httpx.Client) -> None:
    email = new_account(api)
    login(api, email)
    first_cookie = api.cookies.get(REFRESH_COOKIE)
    assert first_cookie
    renewed = api.post("/api/auth/refresh")
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["refresh_token"] is None  # a cookie-borne token is never answered in a body
    assert refresh_cookie_header(renewed)
    assert api.cookies.get(REFRESH_COOKIE) not in (None, first_cookie)
    assert api.get("/api/tasks", headers=bearer(renewed.json()["token"])).status_code == 200


def test_refresh_with_the_cookie_from_a_foreign_page_is_refused(api: httpx.Client) -> None:
    email = new_account(api)
    login(api, email)
    forged = api.post("/api/auth/refresh", headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert forged.json()["code"] == "cross_site_request"


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer ", "Bearer garbage", "Basic dXNlcjpwYXNz"], ids=repr
)
def test_an_authorization_header_that_is_not_a_bearer_token_does_not_skip_the_origin_check(
    api: httpx.Client, authorization: str
) -> None:
    """A foreign page cannot send a bearer token, which is why one lets the cookie through; an empty or
    garbage header proves nothing."""
    email = new_account(api)
    login(api, email)
    forged = api.post(
        "/api/auth/refresh", headers={"Origin": "https://evil.example", "Authorization": authorization}
    )
    assert forged.status_code == 403
    assert forged.json()["code"] == "cross_site_request"


def test_refresh_without_a_token_or_with_garbage_is_401(api: httpx.Client) -> None:
    missing = api.post("/api/auth/refresh")
    assert missing.status_code == 401
    assert missing.json()["code"] == "invalid_refresh_token"
    for garbage in ("x", "a" * 43, "é" * 43, "a" * 5000):
        response = api.post("/api/auth/refresh", json={"refresh_token": garbage})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_refresh_token"


def test_a_session_past_its_absolute_lifetime_cannot_be_refreshed(api: httpx.Client) -> None:
    email = new_account(api)
    body = login(api, email, refresh_token_in_body=True).json()
    with Session(get_engine()) as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.exec(
            update(AuthSession)
            .where(col(AuthSession.user_id) == body["user"]["id"])
            .values(absolute_expires_at=past, expires_at=past)
        )
        session.commit()
    response = refresh_with(api, body["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"
    assert api.get("/api/tasks", headers=bearer(body["token"])).status_code == 401


def test_logout_ends_the_session_and_its_refresh_token(api: httpx.Client) -> None:
    email = new_account(api)
    body = login(api, email, refresh_token_in_body=True).json()
    assert api.post("/api/auth/logout", headers=bearer(body["token"])).status_code == 200
    assert refresh_with(api, body["refresh_token"]).json()["code"] == "invalid_refresh_token"


def test_logout_with_only_the_refresh_cookie_ends_that_session(api: httpx.Client) -> None:
    email = new_account(api)
    token = login(api, email).json()["token"]
    api.cookies.delete("todo_auth")
    response = api.post("/api/auth/logout")
    assert response.status_code == 200
    assert api.get("/api/tasks", headers=bearer(token)).status_code == 401
    assert "Max-Age=0" in refresh_cookie_header(response)


def test_logout_all_from_one_device_ends_another_devices_session(api: httpx.Client) -> None:
    email = new_account(api)
    with device(api) as laptop, device(api) as phone:
        laptop_token = login(laptop, email).json()["token"]
        phone_token = login(phone, email).json()["token"]
        response = laptop.post("/api/auth/logout-all", headers=bearer(laptop_token))
        assert response.status_code == 200
        assert response.json() == {"message": "Logged out of every session"}
        assert phone.get("/api/tasks", headers=bearer(phone_token)).status_code == 401
        assert phone.post("/api/auth/refresh").json()["code"] == "invalid_refresh_token"
        assert laptop.get("/api/tasks", headers=bearer(laptop_token)).status_code == 401


def test_sessions_are_listed_and_one_can_be_ended(api: httpx.Client) -> None:
    email = new_account(api)
    with device(api) as laptop, device(api) as phone:
        laptop_login = laptop.post(
            "/api/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"User-Agent": "Laptop/1.0"},
        )
        laptop_token = token_of(laptop_login)
        phone_token = token_of(
            phone.post(
                "/api/auth/login",
                json={"email": email, "password": PASSWORD},
                headers={"User-Agent": "Phone/2.0"},
            )
        )
        listed = laptop.get("/api/auth/sessions", headers=bearer(laptop_token))
        assert listed.status_code == 200
        by_agent = {item["user_agent"]: item for item in listed.json()["sessions"]}
        assert set(by_agent) == {"Laptop/1.0", "Phone/2.0"}
        assert by_agent["Laptop/1.0"]["current"] is True
        assert by_agent["Phone/2.0"]["current"] is False
        assert set(by_agent["Phone/2.0"]) == {"id", "created_at", "last_used_at", "user_agent", "current"}

        ended = laptop.delete(
            f"/api/auth/sessions/{by_agent['Phone/2.0']['id']}", headers=bearer(laptop_token)
        )
        assert ended.status_code == 204
        assert phone.get("/api/tasks", headers=bearer(phone_token)).status_code == 401
        assert laptop.get("/api/tasks", headers=bearer(laptop_token)).status_code == 200
        again = laptop.delete(
            f"/api/auth/sessions/{by_agent['Phone/2.0']['id']}", headers=bearer(laptop_token)
        )
        assert again.status_code == 404
        assert again.json() == {"detail": "Session not found.", "code": "session_not_found"}


def test_another_users_session_id_is_a_404(api: httpx.Client) -> None:
    victim_email = new_account(api)
    with device(api) as victim, device(api) as attacker:
        victim_token = login(victim, victim_email).json()["token"]
        victim_session = victim.get("/api/auth/sessions", headers=bearer(victim_token)).json()["sessions"][0]
        attacker_token = login(attacker, new_account(attacker)).json()["token"]
        response = attacker.delete(
            f"/api/auth/sessions/{victim_session['id']}", headers=bearer(attacker_token)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "session_not_found"
        assert victim.get("/api/tasks", headers=bearer(victim_token)).status_code == 200
        unknown = attacker.delete("/api/auth/sessions/nope", headers=bearer(attacker_token))
        assert unknown.status_code == 404


def test_password_change_ends_every_other_session(api: httpx.Client) -> None:
    email = new_account(api)
    new_password = "a brand new passphrase"
    with device(api) as laptop, device(api) as phone:
        laptop_token = login(laptop, email).json()["token"]
        phone_token = login(phone, email).json()["token"]
        changed = laptop.put(
            "/api/auth/password",
            json={"current_password": PASSWORD, "new_password": new_password},
            headers=bearer(laptop_token),
        )
        assert changed.status_code == 200, changed.text
        assert changed.json() == {"message": "Password changed; other sessions were ended"}
        assert phone.get("/api/tasks", headers=bearer(phone_token)).status_code == 401
        assert laptop.get("/api/tasks", headers=bearer(laptop_token)).status_code == 200
        old = laptop.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert old.status_code == 401
        assert (
            laptop.post("/api/auth/login", json={"email": email, "password": new_password}).status_code == 200
        )


def test_a_new_password_equal_to_the_current_one_is_400(api: httpx.Client) -> None:
    email = new_account(api)
    with device(api) as laptop, device(api) as phone:
        laptop_token = login(laptop, email).json()["token"]
        phone_token = login(phone, email).json()["token"]
        fullwidth = "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in PASSWORD)
        assert unicodedata.normalize("NFKC", fullwidth) == PASSWORD
        register_secret(fullwidth, "the test password in fullwidth letters")
        for same in (PASSWORD, fullwidth):  # the same password once normalised
            response = laptop.put(
                "/api/auth/password",
                json={"current_password": PASSWORD, "new_password": same},
                headers=bearer(laptop_token),
            )
            assert response.status_code == 400, response.text
            assert response.json() == {
                "detail": "new_password: the new password must be different from the current one.",
                "code": "validation_error",
                "errors": [
                    {
                        "field": "new_password",
                        "message": "The new password must be different from the current one.",
                    }
                ],
            }
        assert phone.get("/api/tasks", headers=bearer(phone_token)).status_code == 200  # nothing ended


def test_password_change_with_a_wrong_current_password_is_401(api: httpx.Client) -> None:
    email = new_account(api)
    token = login(api, email).json()["token"]
    response = api.put(
        "/api/auth/password",
        json={"current_password": "not the password", "new_password": "a brand new passphrase"},
        headers=bearer(token),
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert api.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200


def test_expired_sessions_are_pruned(api: httpx.Client) -> None:
    email = new_account(api)
    body = login(api, email, refresh_token_in_body=True).json()
    with Session(get_engine()) as session:
        session.exec(
            update(AuthSession)
            .where(col(AuthSession.user_id) == body["user"]["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(days=1))
        )
        session.commit()
        assert session_store.prune_expired(session, datetime.now(UTC)) >= 1
        session.commit()
        left = session.exec(select(AuthSession).where(col(AuthSession.user_id) == body["user"]["id"])).all()
        assert left == []
        tokens = session.exec(
            select(RefreshToken).where(
                col(RefreshToken.token_hash) == session_store.digest(body["refresh_token"])
            )
        ).all()
        assert tokens == []
