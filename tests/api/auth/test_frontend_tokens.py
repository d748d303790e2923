"""Frontends as the spec has them: what the spec's frontends send is accepted, and a refusal says why.

Written from what real frontends for this spec do: a server route signs ``{sub: <Better Auth user id>}`` with
the shared ``BETTER_AUTH_SECRET`` (HS256, jose's ``setExpirationTime("7d")``) and sends it as a bearer token
for a user the API has never seen; another adds ``email``, ``name`` and an ``iss``/``aud`` of its own naming
for 15 minutes; some put the id in ``user_id``; others send Better Auth's jwt-plugin token for the same user.
Each test runs on every database, in-process and through the Lambda handlers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests.support.app_state import settings_from
from tests.support.auth import bearer, signup, token_of, unique_email
from tests.support.jwks import (
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_enabled,
    better_auth_serving,
    crafted,
    frontend_token,
    make_key,
    running_jwks_server,
)
from todo_shared.auth import better_auth
from todo_shared.db.engine import get_engine
from todo_shared.models import FRONTEND_ISSUER, User


def frontend_id() -> str:
    return uuid.uuid4().hex  # 32 alphanumerics, like Better Auth's user ids


def titles(response: httpx.Response) -> list[str]:
    """The list as frontends read it: a bare array on the spec's path, the object's ``tasks`` on /api/tasks."""
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["tasks"] if response.url.path.startswith("/api/tasks") else body
    assert isinstance(items, list), body
    return [item["title"] for item in items]


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return make_key("EdDSA", "frontend-tokens")


@pytest.fixture
def jwks(key: SigningKey) -> Iterator[JwksServer]:
    with better_auth_serving(key) as server:
        yield server


@pytest.mark.parametrize("style", ["/api/tasks", "/api/{sub}/tasks"])
def test_a_seven_day_sub_token_of_a_user_never_seen_does_the_whole_task_flow(
    api: httpx.Client, style: str
) -> None:
    sub = frontend_id()
    auth = bearer(frontend_token(sub=sub))
    base = style.format(sub=sub)

    created = api.post(base, json={"title": "Buy milk", "priority": "high"}, headers=auth)
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["user_id"] == sub  # the frontend's own id for its user, as session.user.id reads
    assert titles(api.get(base, headers=auth)) == ["Buy milk"]
    read = api.get(f"{base}/{task['id']}", headers=auth)
    assert (read.status_code, read.json()["title"]) == (200, "Buy milk")
    edited = api.put(f"{base}/{task['id']}", json={"title": "Buy oat milk"}, headers=auth)
    assert (edited.status_code, edited.json()["title"]) == (200, "Buy oat milk")
    toggled = api.patch(f"{base}/{task['id']}/complete", headers=auth)  # no body: toggles
    assert (toggled.status_code, toggled.json()["completed"]) == (200, True)
    back = api.patch(f"{base}/{task['id']}/complete", headers=auth)
    assert (back.status_code, back.json()["completed"]) == (200, False)
    assert api.delete(f"{base}/{task['id']}", headers=auth).status_code == 204
    assert titles(api.get(base, headers=auth)) == []
    me = api.get("/api/auth/verify", headers=auth)
    assert me.status_code == 200, me.text
    assert me.json()["user"] | {"created_at": None} == {
        "id": sub,
        "email": None,  # none in the token, none invented
        "name": None,
        "created_at": None,
    }


def test_the_same_users_better_auth_token_sees_the_same_tasks(
    api: httpx.Client, jwks: JwksServer, key: SigningKey
) -> None:
    """A frontend that switches token kind (or sends both) keeps its users' tasks: one user, one id."""
    sub = frontend_id()
    hs256 = bearer(frontend_token(sub=sub))
    assert (
        api.post(f"/api/{sub}/tasks", json={"title": "from the HS256 token"}, headers=hs256).status_code
        == 201
    )
    plugin = bearer(key.sign(better_auth_claims(jwks.origin, sub=sub, email=unique_email("switch"))))
    assert titles(api.get(f"/api/{sub}/tasks", headers=plugin)) == ["from the HS256 token"]
    assert api.post("/api/tasks", json={"title": "from the plugin token"}, headers=plugin).status_code == 201
    assert sorted(titles(api.get("/api/tasks", headers=hs256))) == [
        "from the HS256 token",
        "from the plugin token",
    ]


def test_users_seen_before_better_auth_url_was_set_keep_their_tasks(
    api: httpx.Client, key: SigningKey
) -> None:
    """HS256 first (BETTER_AUTH_URL unset), then the operator sets BETTER_AUTH_URL: the first token of the
    user under it adopts the account, with its tasks, whichever kind that token is."""
    first, second = frontend_id(), frontend_id()
    for sub in (first, second):
        created = api.post("/api/tasks", json={"title": f"{sub}'s"}, headers=bearer(frontend_token(sub=sub)))
        assert created.status_code == 201, created.text
    with running_jwks_server() as server, better_auth_enabled(server.origin):
        server.serve(key)
        plugin = bearer(key.sign(better_auth_claims(server.origin, sub=first, email=None)))
        assert titles(api.get("/api/tasks", headers=plugin)) == [f"{first}'s"]
        assert titles(api.get("/api/tasks", headers=bearer(frontend_token(sub=second)))) == [f"{second}'s"]
    with Session(get_engine()) as session:
        issuers = session.execute(
            text("SELECT issuer FROM users WHERE subject IN (:a, :b)"), {"a": first, "b": second}
        ).scalars()
        assert FRONTEND_ISSUER not in set(issuers)


def test_a_token_with_its_own_issuer_audience_email_and_name_for_15_minutes_is_accepted(
    api: httpx.Client,
) -> None:
    sub, email = frontend_id(), unique_email("Named")
    token = frontend_token(
        15 * 60, sub=sub, email=email.upper(), name="Ada", iss="nextjs-frontend", aud="fastapi-backend"
    )
    response = api.get("/api/auth/verify", headers=bearer(token))
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert (user["id"], user["email"], user["name"]) == (sub, email.lower(), "Ada")


def test_a_token_with_the_user_id_claim_alone_is_accepted(api: httpx.Client) -> None:
    user_id = frontend_id()
    auth = bearer(frontend_token(user_id=user_id))
    assert api.post(f"/api/{user_id}/tasks", json={"title": "mine"}, headers=auth).status_code == 201
    assert titles(api.get(f"/api/{user_id}/tasks", headers=auth)) == ["mine"]


def test_an_eight_day_token_is_refused_with_a_detail_naming_the_lifetime(api: httpx.Client) -> None:
    response = api.get("/api/tasks", headers=bearer(frontend_token(8 * 24 * 3600, sub=frontend_id())))
    assert response.status_code == 401
    detail = (
        "Token lifetime (exp - iat) is over the 7 days this API accepts: issue shorter tokens, or raise "
        "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES (now 10080)"
    )
    assert response.json() == {"detail": detail, "code": "invalid_token"}
    assert response.headers["www-authenticate"] == (
        f'Bearer error="invalid_token", error_description="{detail}"'
    )


def test_our_own_token_for_a_deleted_account_is_refused_saying_so(api: httpx.Client) -> None:
    created = signup(api, unique_email("deleted"))
    token = token_of(created)
    with Session(get_engine()) as session:
        user = session.get(User, created.json()["user"]["id"])
        assert user is not None
        session.delete(user)
        session.commit()
    response = api.get("/api/tasks", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {
        "detail": "The account this token was issued for no longer exists: sign up or log in again",
        "code": "invalid_token",
    }


def test_a_bare_user_id_header_is_still_not_authentication(api: httpx.Client) -> None:
    """One frontend falls back to sending X-User-ID alone: anyone could send anyone's id."""
    sub = frontend_id()
    for path in ("/api/tasks", f"/api/{sub}/tasks"):
        response = api.get(path, headers={"X-User-ID": sub})
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication required", "code": "not_authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"


def test_an_operator_can_pin_the_frontends_issuer_and_audience(api: httpx.Client) -> None:
    sub = frontend_id()
    own = frontend_token(15 * 60, sub=sub, iss="nextjs-frontend", aud="fastapi-backend")
    other = frontend_token(15 * 60, sub=sub, iss="nextjs-frontend", aud="someone-else")
    with settings_from(FRONTEND_JWT_ISSUER="nextjs-frontend", FRONTEND_JWT_AUDIENCE="fastapi-backend"):
        assert api.get("/api/auth/verify", headers=bearer(own)).status_code == 200
        refused = api.get("/api/auth/verify", headers=bearer(other))
        assert refused.status_code == 401
        assert refused.json() == {
            "detail": "Token audience (aud) must include the API's FRONTEND_JWT_AUDIENCE",
            "code": "invalid_token",
        }


def test_a_flood_of_made_up_kids_never_makes_a_newly_published_keys_token_a_401(
    api: httpx.Client, jwks: JwksServer, key: SigningKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unsigned junk with invented kids spends the JWKS refetch budget; then Better Auth publishes a key and
    signs a user's token with it. The token may wait (a brief 503 with Retry-After), never a 401, which would
    make the frontend sign its user out."""
    monkeypatch.setattr(better_auth, "UNKNOWN_KID_MIN_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(better_auth, "UNKNOWN_KID_REFILL_SECONDS", 0.2, raising=False)
    sub = frontend_id()
    assert (
        api.get(
            "/api/auth/verify", headers=bearer(key.sign(better_auth_claims(jwks.origin, sub=sub)))
        ).status_code
        == 200
    )
    junk_statuses = set()
    for index in range(2 * better_auth.UNKNOWN_KID_FETCH_BUDGET):
        unsigned = crafted({"alg": "EdDSA", "kid": f"junk-{index}"}, better_auth_claims(jwks.origin, sub=sub))
        junk_statuses.add(api.get("/api/auth/verify", headers=bearer(unsigned)).status_code)
    assert junk_statuses <= {401, 503}
    fresh = make_key("EdDSA", f"published-{uuid.uuid4().hex[:6]}")
    jwks.serve(key, fresh)
    token = bearer(fresh.sign(better_auth_claims(jwks.origin, sub=sub)))
    statuses = []
    for _ in range(5):
        response = api.get("/api/auth/verify", headers=token)
        statuses.append(response.status_code)
        if response.status_code != 503:
            break
        assert response.json()["code"] == "auth_unavailable"
        assert 1 <= int(response.headers["retry-after"]) <= 1 + better_auth.UNKNOWN_KID_REFILL_SECONDS
        time.sleep(better_auth.UNKNOWN_KID_REFILL_SECONDS)
    assert 401 not in statuses
    assert statuses[-1] == 200, statuses


@pytest.mark.parametrize("kind", ["hs256", "better_auth"])
def test_logout_with_a_frontends_token_revokes_that_token_and_no_other(
    api: httpx.Client, jwks: JwksServer, key: SigningKey, kind: str
) -> None:
    """A frontend's sign-out (examples/nextjs): the token its page holds, which names no session here (no
    ``sid``, no ``jti``), sent to logout; then that token is refused on the task routes, saying why, while a
    copy minted earlier for the same user stays valid until its ``exp``."""
    sub = frontend_id()

    def mint(name: str) -> str:
        if kind == "hs256":
            return frontend_token(15 * 60, sub=sub, email=unique_email("signout"), name=name)
        return key.sign(better_auth_claims(jwks.origin, sub=sub, name=name))

    copied, held = bearer(mint("copied earlier")), bearer(mint("held by the page"))
    tasks = f"/api/{sub}/tasks"
    assert api.post(tasks, json={"title": "Buy milk"}, headers=held).status_code == 201
    logged_out = api.post("/api/auth/logout", headers=held)
    assert (logged_out.status_code, logged_out.json()) == (200, {"message": "Logged out successfully"})
    refused = api.get(tasks, headers=held)
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": "This token was revoked (logged out): log in again",
        "code": "invalid_token",
    }
    assert titles(api.get(tasks, headers=copied)) == ["Buy milk"]
