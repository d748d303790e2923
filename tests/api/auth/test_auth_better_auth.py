"""Better Auth tokens through the API: first sight creates the user, logout, key rotation."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlmodel import Session, col, func, select

from tests.support.auth import PASSWORD, bearer, run_concurrently, unique_email
from tests.support.jwks import (
    BETTER_AUTH_ALGORITHMS,
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_enabled,
    make_key,
    running_jwks_server,
)
from todo_shared.auth import better_auth
from todo_shared.db.engine import get_engine
from todo_shared.models import User


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {
        algorithm: make_key(algorithm, f"api-{algorithm.lower()}") for algorithm in BETTER_AUTH_ALGORITHMS
    }


@pytest.fixture
def jwks(keys: dict[str, SigningKey]) -> Iterator[JwksServer]:
    with running_jwks_server() as server:
        server.serve(*keys.values())
        with better_auth_enabled(server.origin):
            yield server


def better_auth_id() -> str:
    return uuid.uuid4().hex  # 32 alphanumerics, like Better Auth's ids


def stored_user(user_id: str) -> User | None:
    with Session(get_engine()) as session:
        return session.get(User, user_id)


def users_with_email(email: str) -> int:
    with Session(get_engine()) as session:
        return session.exec(select(func.count()).where(func.lower(col(User.email)) == email.lower())).one()


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_first_sight_creates_the_user_from_the_claims(
    api: httpx.Client, jwks: JwksServer, keys: dict[str, SigningKey], algorithm: str
) -> None:
    sub = better_auth_id()
    email = unique_email("Better")
    token = keys[algorithm].sign(better_auth_claims(jwks.origin, sub=sub, email=email.upper(), name=" Bea "))
    assert stored_user(sub) is None
    first = api.get("/api/auth/verify", headers=bearer(token))
    assert first.status_code == 200, first.text
    assert first.json()["user"] | {"created_at": None} == {
        "id": sub,
        "email": email.lower(),
        "name": "Bea",
        "created_at": None,
    }
    user = stored_user(sub)
    assert user is not None
    assert user.password_hash is None
    again = api.get("/api/auth/verify", headers=bearer(token))
    assert again.status_code == 200
    assert again.json()["user"] == first.json()["user"]
    assert users_with_email(email) == 1
    # No password: the email/password login refuses (tests/api/auth/test_auth_identities.py has the rest).
    login = api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401


@pytest.mark.parametrize(
    "email", [None, "not-an-email", "a\u0000@example.com"], ids=["none", "invalid", "nul"]
)
def test_a_new_user_without_a_usable_email_gets_an_account_without_one(
    api: httpx.Client, jwks: JwksServer, keys: dict[str, SigningKey], email: str | None
) -> None:
    """Frontends' tokens often name their user by sub alone: no email is needed, and none is invented."""
    sub = better_auth_id()
    token = keys["ES512"].sign(better_auth_claims(jwks.origin, sub=sub, email=email))
    response = api.get("/api/auth/verify", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == sub
    assert response.json()["user"]["email"] is None
    user = stored_user(sub)
    assert user is not None
    assert user.email is None


def test_odd_names_are_cleaned_not_fatal(
    api: httpx.Client, jwks: JwksServer, keys: dict[str, SigningKey]
) -> None:
    sub = better_auth_id()
    claims = better_auth_claims(jwks.origin, sub=sub, email=unique_email(), name="bad\u0000name")
    response = api.get("/api/auth/verify", headers=bearer(keys["PS256"].sign(claims)))
    assert response.status_code == 200
    assert response.json()["user"]["name"] is None


def test_simultaneous_first_requests_create_one_user(
    api: httpx.Client, jwks: JwksServer, keys: dict[str, SigningKey]
) -> None:
    sub = better_auth_id()
    email = unique_email("simultaneous")
    token = keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=sub, email=email))
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(api.get, "/api/auth/verify", headers=bearer(token)) for _ in range(6)
    ]
    responses = run_concurrently(calls)
    assert [response.status_code for response in responses] == [200] * 6, [r.text for r in responses]
    assert {response.json()["user"]["id"] for response in responses} == {sub}
    assert users_with_email(email) == 1


def test_logout_revokes_a_better_auth_token(
    api: httpx.Client, jwks: JwksServer, keys: dict[str, SigningKey]
) -> None:
    sub = better_auth_id()
    key = keys["ES256"]
    token = key.sign(better_auth_claims(jwks.origin, sub=sub, email=unique_email()))
    other = key.sign(better_auth_claims(jwks.origin, sub=sub, email=unique_email(), lifetime=901))
    assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 200
    assert api.post("/api/auth/logout", headers=bearer(token)).status_code == 200
    assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 401
    assert api.get("/api/auth/verify", headers=bearer(other)).status_code == 200


def test_key_rotation_through_the_api(
    api: httpx.Client, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(better_auth, "UNKNOWN_KID_MIN_INTERVAL_SECONDS", 0.0)
    old, new = (
        make_key("EdDSA", f"old-{uuid.uuid4().hex[:6]}"),
        make_key("EdDSA", f"new-{uuid.uuid4().hex[:6]}"),
    )
    jwks.serve(old)
    sub = better_auth_id()
    claims = better_auth_claims(jwks.origin, sub=sub, email=unique_email())
    assert api.get("/api/auth/verify", headers=bearer(old.sign(claims))).status_code == 200
    jwks.serve(old, new)  # Better Auth publishes the new key next to the old one
    assert api.get("/api/auth/verify", headers=bearer(new.sign(claims))).status_code == 200
    assert api.get("/api/auth/verify", headers=bearer(old.sign(claims))).status_code == 200
    jwks.serve(new)  # and later withdraws the old one
    better_auth.clear_jwks_cache()  # (a new container)
    assert api.get("/api/auth/verify", headers=bearer(old.sign(claims))).status_code == 401
    assert api.get("/api/auth/verify", headers=bearer(new.sign(claims))).status_code == 200
