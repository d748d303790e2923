"""Identities are per issuer: an email never joins, blocks or hands over accounts of different issuers.

Written as the attacks: a local signup squatting a Better Auth user's email, the reverse, a Better Auth user
re-created upstream with the same email, and a user of another Better Auth origin with the same id. Each
victim gets their own, empty account (200/201, never 409), and nobody sees anybody else's tasks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.auth import PASSWORD, bearer, signup, token_of, unique_email
from tests.support.jwks import (
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_enabled,
    better_auth_serving,
    make_key,
    running_jwks_server,
)
from todo_shared.db.engine import get_engine
from todo_shared.models import LEGACY_BETTER_AUTH_ISSUER

NOT_FOUND = {"detail": "Task not found.", "code": "task_not_found"}
FORBIDDEN = {"detail": "You can only access your own tasks.", "code": "forbidden"}


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return make_key("EdDSA", "identities")


@pytest.fixture
def jwks(key: SigningKey) -> Iterator[JwksServer]:
    with better_auth_serving(key) as server:
        yield server


def better_auth_id() -> str:
    return uuid.uuid4().hex  # 32 alphanumerics, like Better Auth's ids


def better_auth_token(key: SigningKey, origin: str, sub: str, email: str) -> dict[str, str]:
    return bearer(key.sign(better_auth_claims(origin, sub=sub, email=email, name="Carol")))


def titles(api: httpx.Client, headers: dict[str, str], path: str = "/api/tasks") -> list[str]:
    response = api.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["tasks"]]


def new_task(api: httpx.Client, headers: dict[str, str], title: str) -> int:
    response = api.post("/api/tasks", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    task_id: int = response.json()["id"]
    return task_id


def assert_not_found(api: httpx.Client, headers: dict[str, str], task_id: int) -> None:
    response = api.get(f"/api/tasks/{task_id}", headers=headers)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_local_signup_with_her_email_does_not_lock_out_a_better_auth_user(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    carol_email = unique_email("carol")
    squatter = signup(api, carol_email)  # no email verification here: anyone can sign up as carol@…
    assert squatter.status_code == 201
    squatter_auth = bearer(token_of(squatter))
    planted = new_task(api, squatter_auth, "planted by the squatter")

    sub = better_auth_id()
    carol = better_auth_token(key, jwks.origin, sub, carol_email)
    verify = api.get("/api/auth/verify", headers=carol)
    assert verify.status_code == 200, verify.text
    assert verify.json()["user"]["id"] == sub
    assert verify.json()["user"]["email"] == carol_email
    # Her own, empty account, also in the path style a Better Auth frontend writes (session.user.id).
    listing = api.get(f"/api/{sub}/tasks", headers=carol)
    assert listing.status_code == 200, listing.text
    assert listing.json()["tasks"] == []
    assert listing.json()["total"] == 0
    hers = new_task(api, carol, "Carol's own")
    assert titles(api, carol, f"/api/{sub}/tasks") == ["Carol's own"]
    # Isolation both ways, and neither may name the other's id in the path.
    assert titles(api, squatter_auth) == ["planted by the squatter"]
    assert_not_found(api, carol, planted)
    assert_not_found(api, squatter_auth, hers)
    squatter_id = squatter.json()["user"]["id"]
    for headers, path in ((carol, f"/api/{squatter_id}/tasks"), (squatter_auth, f"/api/{sub}/tasks")):
        response = api.get(path, headers=headers)
        assert response.status_code == 403
        assert response.json() == FORBIDDEN


def test_a_better_auth_user_does_not_block_a_local_signup_of_the_same_email(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    email = unique_email("carol")
    sub = better_auth_id()
    better_auth_carol = better_auth_token(key, jwks.origin, sub, email)
    hers = new_task(api, better_auth_carol, "Better Auth Carol's")

    local = signup(api, email)
    assert local.status_code == 201, local.text
    local_id = local.json()["user"]["id"]
    assert local_id != sub
    local_auth = bearer(token_of(local))
    assert titles(api, local_auth) == []
    mine = new_task(api, local_auth, "local Carol's")
    assert titles(api, local_auth) == ["local Carol's"]
    assert titles(api, better_auth_carol) == ["Better Auth Carol's"]
    assert_not_found(api, local_auth, hers)
    assert_not_found(api, better_auth_carol, mine)
    # Login by email finds the local account only; a second local signup is still refused.
    login = api.post("/api/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"]["id"] == local_id
    again = signup(api, email)
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


def test_a_user_re_created_upstream_is_a_new_empty_account(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    email = unique_email("carol")
    old_sub, new_sub = better_auth_id(), better_auth_id()
    old = better_auth_token(key, jwks.origin, old_sub, email)
    old_task = new_task(api, old, "the old account's")

    new = better_auth_token(key, jwks.origin, new_sub, email)  # deleted and signed up again at Better Auth
    verify = api.get("/api/auth/verify", headers=new)
    assert verify.status_code == 200, verify.text
    assert verify.json()["user"]["id"] == new_sub
    assert titles(api, new, f"/api/{new_sub}/tasks") == []
    assert_not_found(api, new, old_task)
    response = api.get(f"/api/{old_sub}/tasks", headers=new)
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert titles(api, old) == ["the old account's"]


def test_a_user_of_another_better_auth_origin_with_the_same_id_is_another_account(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    email = unique_email("carol")
    sub = better_auth_id()
    first = better_auth_token(key, jwks.origin, sub, email)
    first_task = new_task(api, first, "first origin's")
    with running_jwks_server() as other, better_auth_enabled(other.origin):  # BETTER_AUTH_URL changed
        other.serve(key)
        second = better_auth_token(key, other.origin, sub, email)
        verify = api.get("/api/auth/verify", headers=second)
        assert verify.status_code == 200, verify.text
        second_id = verify.json()["user"]["id"]
        assert second_id != sub  # the id was taken: a generated one
        # The path style takes the id a Better Auth frontend knows (sub), or the account id.
        assert titles(api, second, f"/api/{sub}/tasks") == []
        assert titles(api, second, f"/api/{second_id}/tasks") == []
        assert_not_found(api, second, first_task)
    assert titles(api, first) == ["first origin's"]


def test_a_better_auth_account_from_before_issuers_is_adopted_by_its_next_token(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    sub = better_auth_id()
    email = unique_email("legacy")
    with Session(get_engine()) as session:  # as the migration leaves an account created before it
        session.execute(
            text(
                "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
                "VALUES (:i, :s, :i, :e, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"i": sub, "s": LEGACY_BETTER_AUTH_ISSUER, "e": email},
        )
        session.execute(
            text(
                "INSERT INTO tasks (user_id, title, completed, priority, created_at, updated_at, version) "
                "VALUES (:i, 'kept across the migration', false, 'medium', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 1)"
            ),
            {"i": sub},
        )
        session.commit()
    token = better_auth_token(key, jwks.origin, sub, email)
    assert titles(api, token, f"/api/{sub}/tasks") == ["kept across the migration"]
    assert titles(api, token) == ["kept across the migration"]
