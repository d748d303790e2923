"""Every refused credential is a 401 JSON error whose detail says why, with a Bearer challenge carrying
``error="invalid_token"`` and the same words (RFC 6750 section 3): every database, both clients.

Better Auth is switched on (a JWKS on loopback), so asymmetric forgeries meet the real key lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session

from tests.support.app_state import TEST_SECRET
from tests.support.auth import bearer, signup, token_of, unique_email
from tests.support.jwks import (
    BA_USER,
    JwksServer,
    SigningKey,
    better_auth_claims,
    better_auth_enabled,
    crafted,
    make_key,
    our_claims,
    running_jwks_server,
)
from tests.support.logs import capture_logs
from todo_shared.auth.claims import LEEWAY_SECONDS
from todo_shared.db.engine import get_engine
from todo_shared.models import User


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[tuple[JwksServer, SigningKey]]:
    key = make_key("EdDSA", "rejections-ed25519")
    with running_jwks_server() as server:
        server.serve(key)
        yield server, key


@pytest.fixture
def better_auth_on(jwks_server: tuple[JwksServer, SigningKey]) -> Iterator[tuple[str, SigningKey]]:
    server, key = jwks_server
    with better_auth_enabled(server.origin):
        yield server.origin, key


Headers = dict[str, str]
Case = Callable[[httpx.Client, str, SigningKey], Headers]


def _header(value: str) -> Case:
    return lambda _api, _origin, _key: {"Authorization": value}


def _token(build: Callable[[str, SigningKey], str]) -> Case:
    return lambda _api, origin, key: bearer(build(origin, key))


def _pem(key: SigningKey) -> bytes:
    return key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _revoked(api: httpx.Client, _origin: str, _key: SigningKey) -> Headers:
    token = token_of(signup(api, unique_email("revoked")))
    assert api.post("/api/auth/logout", headers=bearer(token)).status_code == 200
    return bearer(token)


def _deleted_user(api: httpx.Client, _origin: str, _key: SigningKey) -> Headers:
    created = signup(api, unique_email("deleted")).json()
    with Session(get_engine()) as session:
        user = session.get(User, created["user"]["id"])
        assert user is not None
        session.delete(user)
        session.commit()
    return bearer(created["token"])


def _ba(origin: str, **changes: Any) -> dict[str, Any]:
    claims = better_auth_claims(origin, sub=BA_USER)
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


# case → (how to present it, the error code, the reason logged)
CASES: dict[str, tuple[Case, str, str]] = {
    "no-header": (lambda _a, _o, _k: {}, "not_authenticated", "missing"),
    "basic": (_header("Basic dXNlcjpwYXNzd29yZA=="), "invalid_token", "malformed_header"),
    "bearer-with-nothing": (_header("Bearer"), "invalid_token", "malformed_header"),
    "bearer-two-words": (_header("Bearer abc def"), "invalid_token", "malformed_header"),
    "garbage": (_header("Bearer garbage"), "invalid_token", "malformed"),
    "garbage-cookie": (lambda _a, _o, _k: {"Cookie": "todo_auth=garbage"}, "invalid_token", "malformed"),
    "wrong-signature": (
        _token(lambda _o, _k: jwt.encode(our_claims(), "another-secret-0123456789-abcdefghijkl")),
        "invalid_token",
        "bad_signature",
    ),
    "expired-beyond-leeway": (
        _token(
            lambda _o, _k: jwt.encode(our_claims(exp=int(time.time()) - LEEWAY_SECONDS - 30), TEST_SECRET)
        ),
        "token_expired",  # its own code: a frontend refreshes rather than signs out
        "expired",
    ),
    "iat-in-future": (
        _token(lambda _o, _k: jwt.encode(our_claims(iat=int(time.time()) + 600), TEST_SECRET)),
        "invalid_token",
        "not_yet_valid",
    ),
    "nbf-in-future": (
        _token(lambda _o, _k: jwt.encode(our_claims(nbf=int(time.time()) + 600), TEST_SECRET)),
        "invalid_token",
        "not_yet_valid",
    ),
    "alg-none": (
        _token(lambda origin, key: crafted({"alg": "none", "kid": key.kid}, _ba(origin))),
        "invalid_token",
        "algorithm_not_allowed",
    ),
    "hs256-with-public-key": (
        _token(lambda origin, key: crafted({"alg": "HS256", "kid": key.kid}, _ba(origin), _pem(key))),
        "invalid_token",
        "bad_signature",
    ),
    "hs256-with-public-jwk": (
        _token(
            lambda origin, key: crafted(
                {"alg": "HS256", "kid": key.kid}, _ba(origin), key.public_jwk["x"].encode()
            )
        ),
        "invalid_token",
        "bad_signature",
    ),
    "unknown-kid": (
        _token(lambda origin, key: key.sign(_ba(origin), headers={"kid": "kid-nobody-knows"})),
        "invalid_token",
        "unknown_kid",
    ),
    "wrong-iss": (
        _token(lambda origin, key: key.sign(_ba(origin, iss="https://evil.example"))),
        "invalid_token",
        "bad_issuer",
    ),
    "wrong-aud": (
        _token(lambda origin, key: key.sign(_ba(origin, aud="https://evil.example"))),
        "invalid_token",
        "bad_audience",
    ),
    "ba-expired": (
        _token(lambda origin, key: key.sign(_ba(origin, exp=int(time.time()) - 120))),
        "token_expired",  # its own code: a frontend refreshes rather than signs out
        "expired",
    ),
    "missing-sub": (
        _token(lambda _o, _k: jwt.encode(our_claims(sub=None, user_id=None), TEST_SECRET)),
        "invalid_token",
        "missing_subject",
    ),
    "non-string-sub": (
        _token(
            lambda _o, _k: crafted(
                {"alg": "HS256"}, our_claims(sub=12345, user_id=None), TEST_SECRET.encode()
            )
        ),
        "invalid_token",
        "invalid_subject",
    ),
    "ba-non-string-sub": (
        _token(lambda origin, key: key.sign(_ba(origin, sub=12345))),
        "invalid_token",
        "invalid_subject",
    ),
    "ba-missing-sub": (
        _token(lambda origin, key: key.sign(_ba(origin, sub=None))),
        "invalid_token",
        "missing_sub",
    ),
    "revoked": (_revoked, "invalid_token", "revoked"),
    "deleted-user": (_deleted_user, "invalid_token", "unknown_user"),
    "truncated-signature": (
        lambda api, _o, _k: bearer(token_of(signup(api, unique_email()))[:-3]),
        "invalid_token",
        "bad_signature",
    ),
}


# What a frontend developer reads, for the reasons they can act on.
DETAILS = {
    "malformed_header": "The Authorization header must be: Bearer <token>",
    "malformed": "Token is not a JWT: expected three base64url parts, header.payload.signature",
    "expired": "Token expired. Please log in again",
    "not_yet_valid": "Token is not valid yet (iat or nbf is in the future): check the signing server's clock",
    "algorithm_not_allowed": (
        "Token algorithm is not accepted for this key: HS256 with BETTER_AUTH_SECRET, or the algorithm of "
        "the Better Auth JWKS key its kid names"
    ),
    "unknown_kid": "Token key id (kid) is not in the JWKS published at BETTER_AUTH_URL",
    "bad_issuer": "Token issuer (iss) must be the API's BETTER_AUTH_URL",
    "bad_audience": "Token audience (aud) must be the API's BETTER_AUTH_URL",
    "missing_subject": "Token names no user: put the user id in sub (or user_id)",
    "missing_sub": "Token has no sub claim",
    "invalid_subject": "Token user id (sub or user_id) must be 1 to 64 printable ASCII characters, no spaces",
    "revoked": "This token was revoked (logged out): log in again",
    "unknown_user": "The account this token was issued for no longer exists: sign up or log in again",
}
SIGNATURE_DETAILS = {
    "hs256": "Token signature does not verify: HS256 tokens must be signed with the API's BETTER_AUTH_SECRET",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_credentials_are_401_json_with_a_bearer_challenge(
    api: httpx.Client, better_auth_on: tuple[str, SigningKey], case: str
) -> None:
    build, code, reason = CASES[case]
    origin, key = better_auth_on
    headers = build(api, origin, key)
    with capture_logs() as logs:
        response = api.get("/api/auth/verify", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == code
    if code == "not_authenticated":  # no credentials: nothing to describe (RFC 6750 section 3.1)
        assert response.headers["www-authenticate"] == "Bearer"
    else:
        assert body["detail"] == DETAILS.get(
            reason, SIGNATURE_DETAILS["hs256"] if reason == "bad_signature" else ""
        )
        assert response.headers["www-authenticate"] == (
            f'Bearer error="invalid_token", error_description="{body["detail"]}"'
        )
    refusals = [record for record in logs.records if record["message"] == "authentication refused"]
    assert [record["reason"] for record in refusals] == [reason]
    assert refusals[0]["request_id"] == response.headers["x-request-id"]


def test_a_valid_better_auth_token_passes_the_same_gate(
    api: httpx.Client, better_auth_on: tuple[str, SigningKey]
) -> None:
    """The control for the cases above: the same server, key and claims, unaltered, are accepted."""
    origin, key = better_auth_on
    sub = "ctl" + unique_email().split("@")[0].replace("-", "")[:29]
    token = key.sign(better_auth_claims(origin, sub=sub, email=f"{sub}@example.com"))
    response = api.get("/api/auth/verify", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == sub
