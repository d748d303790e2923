"""Signup throttling per source address, and no bcrypt for a taken email: every database, both clients.

Each test is an attack (probing which emails have accounts, burning CPU) or what a household does, with the
answers expected.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
import pytest
from sqlmodel import Session, select

from tests.support.addresses import fresh_address, from_address
from tests.support.auth import PASSWORD, run_concurrently, signup, unique_email
from tests.support.leak_guard import register_email
from todo_shared.auth import passwords, sign_in
from todo_shared.auth import throttle as login_throttle
from todo_shared.db import pruning
from todo_shared.db.engine import get_engine
from todo_shared.models import LoginThrottle, utc_now

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("fresh_login_throttle")]

SIGNUP_LIMIT = login_throttle.SIGNUP_LIMIT
WINDOW_SECONDS = int(login_throttle.WINDOW.total_seconds())


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords signup hashes, in order (a spy on bcrypt)."""
    hashed: list[str] = []

    def spy(password: str, rounds: int) -> str:
        hashed.append(password)
        return passwords.hash_password(password, rounds)

    monkeypatch.setattr(sign_in, "hash_password", spy)
    return hashed


def signup_from(api: httpx.Client, address: str, email: str, password: str = PASSWORD) -> httpx.Response:
    register_email(email, "an email given to signup_from")
    return api.post(
        "/api/auth/signup", json={"email": email, "password": password}, headers=from_address(address)
    )


def assert_signup_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "detail": "Too many signup attempts from this address. Please try again later.",
        "code": "too_many_attempts",
    }
    assert 0 < int(response.headers["retry-after"]) <= WINDOW_SECONDS
    assert "set-cookie" not in response.headers


def assert_taken(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "This email is already registered", "code": "email_taken"}


def test_probing_a_registered_email_is_throttled_per_address(api: httpx.Client) -> None:
    email = unique_email("known")
    assert signup(api, email).status_code == 201
    prober = fresh_address()
    responses = [signup_from(api, prober, email) for _ in range(25)]
    for response in responses[:SIGNUP_LIMIT]:
        assert_taken(response)
    for response in responses[SIGNUP_LIMIT:]:
        assert_signup_throttled(response)
    # Every signup counts, whatever its answer: a new email from that address is refused too ...
    assert_signup_throttled(signup_from(api, prober, unique_email("new")))
    # ... and other addresses are not affected.
    assert_taken(signup_from(api, fresh_address(), email))


def test_a_taken_email_is_refused_without_hashing_the_password(api: httpx.Client, hashes: list[str]) -> None:
    email = unique_email("known")
    assert signup(api, email).status_code == 201
    assert hashes == [PASSWORD]
    hashes.clear()
    assert_taken(signup_from(api, fresh_address(), email.upper(), password="another-password"))
    assert hashes == []  # no bcrypt for a taken email


def test_parallel_signups_cannot_overtake_the_limit_or_burn_bcrypt(
    api: httpx.Client, hashes: list[str]
) -> None:
    email = unique_email("known")
    assert signup(api, email).status_code == 201
    hashes.clear()
    prober = fresh_address()
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(signup_from, api, prober, email) for _ in range(SIGNUP_LIMIT + 8)
    ]
    statuses = sorted(response.status_code for response in run_concurrently(calls))
    assert statuses == [409] * SIGNUP_LIMIT + [429] * 8
    assert hashes == []


def test_a_household_behind_one_address_can_sign_up(api: httpx.Client) -> None:
    home = fresh_address()
    for _ in range(SIGNUP_LIMIT):
        assert signup_from(api, home, unique_email("family")).status_code == 201
    assert_signup_throttled(signup_from(api, home, unique_email("family")))


def test_throttled_signups_write_nothing(api: httpx.Client, hashes: list[str]) -> None:
    address = fresh_address()
    for _ in range(SIGNUP_LIMIT):
        assert signup_from(api, address, unique_email("bulk")).status_code == 201
    hashes.clear()
    with Session(get_engine()) as session:
        before = {row.key: row.attempts for row in session.exec(select(LoginThrottle)).all()}
    for _ in range(10):
        assert_signup_throttled(signup_from(api, address, unique_email("bulk")))
    with Session(get_engine()) as session:
        after = {row.key: row.attempts for row in session.exec(select(LoginThrottle)).all()}
    assert after == before
    assert hashes == []


def test_expired_counters_are_pruned_on_the_throttled_signup_path(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = fresh_address()
    for _ in range(SIGNUP_LIMIT):
        signup_from(api, address, unique_email("bulk"))
    stale_key = login_throttle.signup_key(fresh_address())
    with Session(get_engine()) as session:
        started = utc_now() - 2 * login_throttle.WINDOW
        session.add(LoginThrottle(key=stale_key, attempts=3, window_started_at=started))
        session.commit()
    monkeypatch.setattr(pruning, "PRUNE_ONE_IN", 1)  # "now and then" is every time
    assert_signup_throttled(signup_from(api, address, unique_email("bulk")))
    with Session(get_engine()) as session:
        assert session.get(LoginThrottle, stale_key) is None
