"""The JWKS fetch follows no redirect: a 3xx from BETTER_AUTH_URL cannot plant an attacker's key.

The attack: the JWKS endpoint answers `302 Location: <attacker's server>` (an open redirect or a hijacked
route at the Better Auth host, a dangling domain it points to), and the attacker's server publishes a key of
theirs, under the legitimate key's `kid` (published, so known) or a new one. Followed, the redirect makes
every token they sign for any user valid. Refused, the fetch fails like any other: the cached keys stay, a
token of a known kid is checked against the genuine key (401), and one of an unknown kid waits for a readable
JWKS (503 `auth_unavailable`); the attacker's server is never contacted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.auth import bearer, unique_email
from tests.support.jwks import (
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_enabled,
    make_key,
    running_jwks_server,
)
from tests.support.logs import capture_logs
from todo_shared.auth import better_auth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(better_auth, "_clock", fake)
    monkeypatch.setattr(better_auth, "_sleep", lambda seconds: setattr(fake, "now", fake.now + seconds))
    return fake


@pytest.fixture
def servers() -> Iterator[tuple[JwksServer, JwksServer, SigningKey, SigningKey]]:
    """Better Auth's JWKS and the attacker's, each with its own key under the same kid."""
    kid = f"ba-{uuid.uuid4().hex[:8]}"
    genuine, forged = make_key("EdDSA", kid), make_key("EdDSA", kid)
    with running_jwks_server() as legit, running_jwks_server() as attacker:
        legit.serve(genuine)
        attacker.serve(forged, make_key("EdDSA", "attacker-new-kid"))
        with better_auth_enabled(legit.origin):
            yield legit, attacker, genuine, forged


def _verify(
    api: httpx.Client, key: SigningKey, origin: str, sub: str, kid: str | None = None
) -> httpx.Response:
    claims = better_auth_claims(origin, sub=sub, email=f"{sub}@example.com")
    token = key.sign(claims, headers={"kid": kid} if kid else None)
    return api.get("/api/auth/verify", headers=bearer(token))


def _victim() -> str:
    return uuid.uuid4().hex  # a Better Auth user id the attacker wants to be


def test_a_key_planted_by_a_redirect_is_not_trusted_when_the_keys_are_refreshed(
    api: httpx.Client, clock: Clock, servers: tuple[JwksServer, JwksServer, SigningKey, SigningKey]
) -> None:
    legit, attacker, genuine, forged = servers
    user = _victim()
    assert _verify(api, genuine, legit.origin, user).status_code == 200  # keys fetched and cached
    legit.redirect_to = attacker.origin + better_auth.JWKS_PATH
    clock.now += better_auth.MAX_CACHE_AGE_SECONDS + 1  # the hourly refresh is due

    with capture_logs() as logs:
        response = _verify(api, forged, legit.origin, user)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_token"
    assert attacker.requests == 0
    failures = [record for record in logs.records if record["message"] == "JWKS fetch failed"]
    assert [record["reason"] for record in failures] == ["HTTP 302 (redirects are not followed)"]
    refusals = [record for record in logs.records if record["message"] == "authentication refused"]
    assert [record["reason"] for record in refusals] == ["bad_signature"]
    # The genuine key is kept: its users are not signed out.
    assert _verify(api, genuine, legit.origin, user).status_code == 200


def test_a_key_planted_by_a_redirect_on_the_first_fetch_is_not_trusted(
    api: httpx.Client, servers: tuple[JwksServer, JwksServer, SigningKey, SigningKey]
) -> None:
    legit, attacker, _genuine, forged = servers
    legit.redirect_to = attacker.origin + better_auth.JWKS_PATH
    response = _verify(api, forged, legit.origin, _victim())
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "auth_unavailable"
    assert attacker.requests == 0


def test_a_new_kid_served_through_a_redirect_is_not_trusted(
    api: httpx.Client, clock: Clock, servers: tuple[JwksServer, JwksServer, SigningKey, SigningKey]
) -> None:
    legit, attacker, genuine, _forged = servers
    assert _verify(api, genuine, legit.origin, _victim()).status_code == 200
    legit.redirect_to = attacker.origin + better_auth.JWKS_PATH
    planted = make_key("EdDSA", "attacker-new-kid")
    attacker.serve(planted)
    response = _verify(api, planted, legit.origin, _victim())
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "auth_unavailable"
    assert attacker.requests == 0


def test_the_legitimate_flow_recovers_once_the_jwks_answers_again(
    api: httpx.Client, clock: Clock, servers: tuple[JwksServer, JwksServer, SigningKey, SigningKey]
) -> None:
    legit, attacker, genuine, _forged = servers
    legit.redirect_to = attacker.origin + better_auth.JWKS_PATH
    user = unique_email().split("@")[0].replace("-", "")[:32]
    assert _verify(api, genuine, legit.origin, user).status_code == 503
    legit.redirect_to = None
    clock.now += better_auth.RETRY_AFTER_FAILURE_SECONDS + 1
    assert _verify(api, genuine, legit.origin, user).status_code == 200
    assert attacker.requests == 0
