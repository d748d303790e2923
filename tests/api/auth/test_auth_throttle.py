"""Login throttling across containers (state in the database): every database, both clients."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from devtools.functions import load_function
from tests.support.app_state import Backend
from tests.support.auth import PASSWORD, clear_login_throttle, run_concurrently, signup, unique_email
from todo_shared.auth import throttle as login_throttle
from todo_shared.auth.revocation import prune_expired
from todo_shared.auth.user_fields import email_digest
from todo_shared.db.engine import get_engine
from todo_shared.http.app_factory import create_app
from todo_shared.models import LoginThrottle, RevokedToken, utc_now

pytestmark = pytest.mark.reliability

EMAIL_LIMIT = login_throttle.EMAIL_LIMIT
WINDOW_SECONDS = int(login_throttle.WINDOW.total_seconds())


@pytest.fixture(autouse=True)
def _fresh_throttle(database: Backend) -> Iterator[None]:
    clear_login_throttle()
    yield
    clear_login_throttle()


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "detail": "Too many login attempts. Please try again later.",
        "code": "too_many_attempts",
    }
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= WINDOW_SECONDS
    assert "set-cookie" not in response.headers


def test_repeated_failures_for_one_email_give_429_even_for_the_right_password(api: httpx.Client) -> None:
    email = unique_email("victim")
    signup(api, email)
    for _ in range(EMAIL_LIMIT):
        assert login(api, email, "wrong-password").status_code == 401
    assert_throttled(login(api, email, "wrong-password"))
    assert_throttled(login(api, email, PASSWORD))  # no guess is evaluated during the lock-out
    assert_throttled(login(api, email.upper(), PASSWORD))  # the same email, however it is spelt
    # Another email from the same address is not locked out.
    other = unique_email()
    signup(api, other)
    assert login(api, other, PASSWORD).status_code == 200


def test_the_state_lives_in_the_database(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    for _ in range(EMAIL_LIMIT):
        login(api, email, "wrong-password")
    # Another container: a separate app instance sees the lock-out.
    with TestClient(create_app(load_function("auth").router)) as other:
        assert_throttled(login(other, email, PASSWORD))
    with Session(get_engine()) as session:
        row = session.get(LoginThrottle, f"email:{email_digest(email)}")
        assert row is not None
        assert row.attempts == EMAIL_LIMIT  # the refused attempts were not counted
    clear_login_throttle()
    assert login(api, email, PASSWORD).status_code == 200


def test_success_resets_the_email_counter(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    for _ in range(EMAIL_LIMIT - 1):
        assert login(api, email, "wrong-password").status_code == 401
    assert login(api, email, PASSWORD).status_code == 200
    for _ in range(EMAIL_LIMIT):
        assert login(api, email, "wrong-password").status_code == 401
    assert_throttled(login(api, email, PASSWORD))


def test_unknown_emails_are_throttled_like_known_ones(api: httpx.Client) -> None:
    email = unique_email("nobody")
    for _ in range(EMAIL_LIMIT):
        assert login(api, email, "guess").status_code == 401
    assert_throttled(login(api, email, "guess"))


def test_failures_from_one_address_across_many_emails_give_429(api: httpx.Client) -> None:
    for _ in range(login_throttle.ADDRESS_LIMIT):
        assert login(api, unique_email("spray"), "password1").status_code == 401
    assert_throttled(login(api, unique_email("spray"), "password1"))
    # The lock-out covers every email from that address, even with the right password.
    email = unique_email()
    signup(api, email)
    assert_throttled(login(api, email, PASSWORD))


def test_successful_logins_do_not_use_up_the_address_limit(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    for _ in range(login_throttle.ADDRESS_LIMIT + 5):
        assert login(api, email, PASSWORD).status_code == 200


def test_parallel_guesses_cannot_overtake_the_limit(api: httpx.Client) -> None:
    email = unique_email("parallel")
    signup(api, email)
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(login, api, email, f"guess-{index}") for index in range(12)
    ]
    statuses = sorted(response.status_code for response in run_concurrently(calls))
    assert statuses == [401] * EMAIL_LIMIT + [429] * (12 - EMAIL_LIMIT)


def test_windows_expire_and_expired_state_is_pruned(database: Backend) -> None:
    now = utc_now()
    keys = login_throttle.throttle_keys(unique_email(), "198.51.100.9")
    with Session(get_engine()) as session:
        for _ in range(EMAIL_LIMIT + 1):
            attempt = login_throttle.reserve(session, keys, now)
        session.commit()
        assert attempt.retry_after_seconds == WINDOW_SECONDS
        later = now + timedelta(minutes=10)
        attempt = login_throttle.reserve(session, keys, later)
        session.commit()
        assert attempt.retry_after_seconds == WINDOW_SECONDS - 600
        after_window = now + login_throttle.WINDOW + timedelta(seconds=1)
        attempt = login_throttle.reserve(session, keys, after_window)
        session.commit()
        assert attempt.retry_after_seconds is None
        assert [item.attempts for item in attempt.reservations] == [1, 1]
        # Rows whose window has ended are pruned; the current ones stay.
        assert login_throttle.prune_expired(session, after_window) == 0
        assert login_throttle.prune_expired(session, after_window + login_throttle.WINDOW) == 2
        session.commit()
        assert session.exec(select(LoginThrottle).where(LoginThrottle.key == keys[0].key)).first() is None


def test_revocations_are_kept_until_the_token_expires(database: Backend) -> None:
    now = utc_now()
    key = f"jti:test-{unique_email()}"
    with Session(get_engine()) as session:
        session.add(RevokedToken(token_key=key, user_id="u", expires_at=now + timedelta(minutes=5)))
        session.commit()
        assert prune_expired(session, now) == 0
        session.commit()
        assert session.get(RevokedToken, key) is not None
        assert prune_expired(session, now + timedelta(minutes=6)) >= 1
        session.commit()
        assert session.get(RevokedToken, key) is None
