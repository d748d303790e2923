"""Login throttling across containers (state in the database): every database, both clients.

Each test is an attack, or what the owner of an account does while one runs, with the answers expected. A
request's source address is set with ``from_address`` (tests/support/addresses.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from devtools.functions import load_function
from tests.support.addresses import SourceAddress, fresh_address, from_address
from tests.support.app_state import Backend
from tests.support.auth import PASSWORD, clear_login_throttle, run_concurrently, signup, unique_email
from todo_shared.auth import throttle as login_throttle
from todo_shared.auth.revocation import prune_expired
from todo_shared.db import pruning
from todo_shared.db.engine import get_engine
from todo_shared.http.app_factory import create_app
from todo_shared.models import LoginThrottle, RevokedToken, utc_now

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("fresh_login_throttle")]

PAIR_LIMIT = login_throttle.PAIR_LIMIT
EMAIL_LIMIT = login_throttle.EMAIL_LIMIT
ADDRESS_LIMIT = login_throttle.ADDRESS_LIMIT
WINDOW_SECONDS = int(login_throttle.WINDOW.total_seconds())


def login(client: httpx.Client, email: str, password: str, address: str | None = None) -> httpx.Response:
    headers = from_address(address) if address is not None else {}
    return client.post("/api/auth/login", json={"email": email, "password": password}, headers=headers)


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "detail": "Too many login attempts. Please try again later.",
        "code": "too_many_attempts",
    }
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= WINDOW_SECONDS
    assert "set-cookie" not in response.headers


def assert_invalid(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Invalid email or password", "code": "invalid_credentials"}


def throttle_rows() -> dict[str, tuple[int, object]]:
    with Session(get_engine()) as session:
        rows = session.exec(select(LoginThrottle)).all()
        return {row.key: (row.attempts, row.window_started_at) for row in rows}


# --- Per (email, address): a guesser is refused, the owner elsewhere is not --------------------------------


def test_failures_from_one_address_never_lock_the_owner_out_from_another(api: httpx.Client) -> None:
    email = unique_email("victim")
    signup(api, email)
    attacker, owner = fresh_address(), fresh_address()
    for _ in range(PAIR_LIMIT):
        assert_invalid(login(api, email, "wrong-password", attacker))
    assert_throttled(login(api, email, "wrong-password", attacker))
    assert_throttled(login(api, email, PASSWORD, attacker))  # no guess is evaluated during the lock-out
    assert_throttled(login(api, email.upper(), PASSWORD, attacker))  # the same email, however it is spelt
    # The owner, from their own address, with the right password.
    assert login(api, email, PASSWORD, owner).status_code == 200
    # The owner's success forgives nothing of the attacker's.
    assert_throttled(login(api, email, PASSWORD, attacker))
    # Another email from the attacker's address is not locked out.
    other = unique_email()
    signup(api, other)
    assert login(api, other, PASSWORD, attacker).status_code == 200


def test_guessing_from_many_addresses_stays_bounded_and_the_owner_gets_in(api: httpx.Client) -> None:
    email = unique_email("botnet")
    signup(api, email)
    addresses = [fresh_address() for _ in range(20)]
    checked = 0
    for address in addresses:
        for guess in range(PAIR_LIMIT + 1):
            response = login(api, email, f"guess-{guess}", address)
            if response.status_code == 429:
                assert_throttled(response)
            else:
                assert_invalid(response)
                checked += 1
    # Up to the email's limit, addresses guess up to the pair limit each; past it, a fresh address gets its
    # first guess checked (it could be the owner's) and no more.
    first_addresses = EMAIL_LIMIT // PAIR_LIMIT
    assert checked == EMAIL_LIMIT + (len(addresses) - first_addresses)
    # Every address that guessed is refused now, even with the right password ...
    for address in addresses:
        assert_throttled(login(api, email, PASSWORD, address))
    # ... but the owner, from an address without failures, is let in.
    assert login(api, email, PASSWORD, fresh_address()).status_code == 200


def test_past_the_email_limit_a_fresh_address_gets_one_guess_even_in_parallel(api: httpx.Client) -> None:
    email = unique_email("parallel")
    signup(api, email)
    for _ in range(EMAIL_LIMIT // PAIR_LIMIT):
        address = fresh_address()
        for _ in range(PAIR_LIMIT):
            assert_invalid(login(api, email, "wrong-password", address))
    fresh = fresh_address()
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(login, api, email, f"guess-{index}", fresh) for index in range(6)
    ]
    statuses = sorted(response.status_code for response in run_concurrently(calls))
    assert statuses == [401] + [429] * 5


def test_addresses_of_one_ipv6_network_are_one_address(api: httpx.Client) -> None:
    email = unique_email("rotating")
    signup(api, email)
    # One subscriber's /64 holds 2**64 addresses: rotating through them gives no fresh guesses.
    for host in range(1, PAIR_LIMIT + 1):
        assert_invalid(login(api, email, "wrong-password", f"2001:db8:7:7::{host:x}"))
    assert_throttled(login(api, email, "wrong-password", "2001:db8:7:7:ffff::1"))
    assert login(api, email, PASSWORD, "2001:db8:7:8::1").status_code == 200


def test_repeated_failures_from_one_address_give_429_even_for_the_right_password(api: httpx.Client) -> None:
    email = unique_email("victim")
    signup(api, email)
    for _ in range(PAIR_LIMIT):
        assert_invalid(login(api, email, "wrong-password"))
    assert_throttled(login(api, email, "wrong-password"))
    assert_throttled(login(api, email, PASSWORD))
    retry_after = int(login(api, email, PASSWORD).headers["retry-after"])
    assert WINDOW_SECONDS - 60 < retry_after <= WINDOW_SECONDS


def test_the_state_lives_in_the_database(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    address = fresh_address()
    for _ in range(PAIR_LIMIT):
        login(api, email, "wrong-password", address)
    # Another container: a separate app instance sees the lock-out.
    with TestClient(SourceAddress(create_app(load_function("auth").router))) as other:
        assert_throttled(login(other, email, PASSWORD, address))
    with Session(get_engine()) as session:
        row = session.get(LoginThrottle, login_throttle.login_keys(email, address).pair)
        assert row is not None
        assert row.attempts == PAIR_LIMIT  # the refused attempts were not counted
    clear_login_throttle()
    assert login(api, email, PASSWORD, address).status_code == 200


def test_success_resets_the_failures_of_its_own_address(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    for _ in range(PAIR_LIMIT - 1):
        assert_invalid(login(api, email, "wrong-password"))
    assert login(api, email, PASSWORD).status_code == 200
    for _ in range(PAIR_LIMIT):
        assert_invalid(login(api, email, "wrong-password"))
    assert_throttled(login(api, email, PASSWORD))


def test_unknown_emails_are_throttled_like_known_ones(api: httpx.Client) -> None:
    email = unique_email("nobody")
    for _ in range(PAIR_LIMIT):
        assert_invalid(login(api, email, "guess"))
    assert_throttled(login(api, email, "guess"))


# --- Per address: spraying many emails ---------------------------------------------------------------------


def test_failures_from_one_address_across_many_emails_give_429(api: httpx.Client) -> None:
    for _ in range(ADDRESS_LIMIT):
        assert_invalid(login(api, unique_email("spray"), "password1"))
    assert_throttled(login(api, unique_email("spray"), "password1"))
    # The lock-out covers every email from that address, even with the right password.
    email = unique_email()
    signup(api, email)
    assert_throttled(login(api, email, PASSWORD))
    assert login(api, email, PASSWORD, fresh_address()).status_code == 200


def test_successful_logins_do_not_use_up_the_address_limit(api: httpx.Client) -> None:
    email = unique_email()
    signup(api, email)
    for _ in range(ADDRESS_LIMIT + 5):
        assert login(api, email, PASSWORD).status_code == 200


def test_parallel_guesses_cannot_overtake_the_limit(api: httpx.Client) -> None:
    email = unique_email("parallel")
    signup(api, email)
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(login, api, email, f"guess-{index}") for index in range(12)
    ]
    statuses = sorted(response.status_code for response in run_concurrently(calls))
    assert statuses == [401] * PAIR_LIMIT + [429] * (12 - PAIR_LIMIT)


# --- A refused login writes nothing, and still prunes ------------------------------------------------------


def test_throttled_logins_for_new_emails_write_no_rows(api: httpx.Client) -> None:
    address = fresh_address()
    for _ in range(ADDRESS_LIMIT):
        assert_invalid(login(api, unique_email("spray"), "password1", address))
    before = throttle_rows()
    for _ in range(50):
        assert_throttled(login(api, unique_email("spray"), "password1", address))
    assert throttle_rows() == before  # no new row, and no counter changed


def test_expired_counters_are_pruned_on_the_throttled_path(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = fresh_address()
    for _ in range(ADDRESS_LIMIT):
        assert_invalid(login(api, unique_email("spray"), "password1", address))
    stale_key = f"ip:{fresh_address()}"
    with Session(get_engine()) as session:
        started = utc_now() - 2 * login_throttle.WINDOW
        session.add(LoginThrottle(key=stale_key, attempts=3, window_started_at=started))
        session.commit()
    monkeypatch.setattr(pruning, "PRUNE_ONE_IN", 1)  # "now and then" is every time
    assert_throttled(login(api, unique_email("spray"), "password1", address))
    assert stale_key not in throttle_rows()


def test_windows_expire_and_expired_state_is_pruned(database: Backend) -> None:
    now = utc_now()
    keys = login_throttle.login_keys(unique_email(), "198.51.100.9")
    with Session(get_engine()) as session:
        for _ in range(PAIR_LIMIT):
            login_throttle.count_login(session, keys, now)
        session.commit()
        attempt = login_throttle.count_login(session, keys, now)
        session.rollback()
        assert attempt.refused_by == ("pair",)
        assert attempt.retry_after_seconds == WINDOW_SECONDS
        later = now + timedelta(minutes=10)
        attempt = login_throttle.count_login(session, keys, later)
        session.rollback()
        assert attempt.retry_after_seconds == WINDOW_SECONDS - 600
        after_window = now + login_throttle.WINDOW + timedelta(seconds=1)
        attempt = login_throttle.count_login(session, keys, after_window)
        session.commit()
        assert attempt.retry_after_seconds is None
        assert (attempt.pair.attempts, attempt.address.attempts, attempt.email.attempts) == (1, 1, 1)
        # Rows whose window has ended are pruned; the current ones stay.
        assert login_throttle.prune_expired(session, after_window) == 0
        assert login_throttle.prune_expired(session, after_window + login_throttle.WINDOW) == 3
        session.commit()
        remaining = session.exec(select(func.count()).select_from(LoginThrottle)).one()
        assert remaining == 0


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
