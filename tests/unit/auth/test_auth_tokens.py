"""Token verification, unit-level (no database): HS256 tokens and Better Auth's, against a JWKS on loopback.

The same refusals are exercised through the API, both clients and every database, in
``test_auth_rejections.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.app_state import TEST_SECRET
from tests.support.jwks import (
    BA_USER,
    BETTER_AUTH_ALGORITHMS,
    USER_ID,
    JwksServer,
    SigningKey,
    b64,
    b64_json,
    better_auth_claims,
    crafted,
    hs256,
    make_key,
    our_claims,
    running_jwks_server,
)
from todo_shared.auth import better_auth
from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError
from todo_shared.auth.tokens import ISSUER, issue_token
from todo_shared.auth.verify import verify_token
from todo_shared.errors import KeysUnavailable
from todo_shared.http.errors import answer_for
from todo_shared.models import LOCAL_ISSUER


def refused(token: str, better_auth_url: str | None = None) -> str:
    with pytest.raises(TokenError) as caught:
        verify_token(token, secret=TEST_SECRET, better_auth_url=better_auth_url)
    return caught.value.reason


def keys_unavailable(token: str, better_auth_url: str) -> bool:
    """The token's key could not be fetched: a temporary 503 ``auth_unavailable``, not a verdict on it."""
    with pytest.raises(KeysUnavailable) as caught:
        verify_token(token, secret=TEST_SECRET, better_auth_url=better_auth_url)
    return (answer_for(caught.value).status, caught.value.code) == (503, "auth_unavailable")


# --- HS256: ours and a frontend's ---------------------------------------------------------------------


def test_issued_token_carries_the_designed_claims_and_verifies() -> None:
    issued = issue_token(user_id=USER_ID, email="person@example.com", secret=TEST_SECRET, expires_minutes=60)
    header = jwt.get_unverified_header(issued.token)
    claims = jwt.decode(issued.token, TEST_SECRET, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert set(claims) == {"sub", "user_id", "email", "iat", "exp", "jti", "iss"}
    assert claims["sub"] == claims["user_id"] == USER_ID
    assert claims["iss"] == ISSUER
    assert claims["jti"] == issued.token_id
    assert claims["exp"] - claims["iat"] == 3600
    verified = verify_token(issued.token, secret=TEST_SECRET, better_auth_url=None)
    assert (verified.issuer, verified.user_id) == (LOCAL_ISSUER, USER_ID)
    assert verified.email == "person@example.com"
    assert verified.source == "api"
    assert verified.token_id == issued.token_id
    assert verified.revocation_key == f"jti:{issued.token_id}"
    assert verified.expires_at == issued.expires_at


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"sub": USER_ID}, id="sub-only"),
        pytest.param({"user_id": USER_ID}, id="user_id-only"),
        pytest.param({"sub": USER_ID, "user_id": USER_ID, "aud": "anything"}, id="foreign-aud"),
    ],
)
def test_frontend_hs256_tokens_with_the_shared_secret_are_accepted(claims: dict[str, Any]) -> None:
    now = int(time.time())
    token = hs256({**claims, "exp": now + 600})
    verified = verify_token(token, secret=TEST_SECRET, better_auth_url=None)
    assert verified.user_id == USER_ID
    assert verified.token_id is None
    assert verified.revocation_key.startswith("sig:")


def test_expiry_within_the_leeway_is_accepted() -> None:
    token = hs256(our_claims(exp=int(time.time()) - LEEWAY_SECONDS // 2))
    assert verify_token(token, secret=TEST_SECRET, better_auth_url=None).user_id == USER_ID


def _deeply_nested_header() -> str:
    header = b64(b'{"alg":"HS256","x":' + b"[" * 3000 + b"]" * 3000 + b"}")
    return f"{header}.{b64_json(our_claims())}.c2ln"


HS256_REFUSALS: list[tuple[str, Callable[[], str], str]] = [
    ("empty", lambda: "", "malformed"),
    ("garbage", lambda: "not-a-token", "malformed"),
    ("garbage-segments", lambda: "abc.def.ghi", "malformed"),
    ("non-ascii", lambda: "ä.b.c", "malformed"),
    ("too-long", lambda: "a" * 9000 + ".b.c", "malformed"),
    ("deeply-nested-header", _deeply_nested_header, "malformed"),
    (
        "wrong-signature",
        lambda: hs256(our_claims(), secret="another-secret-0123456789-abcdefghijkl"),
        "bad_signature",
    ),
    ("expired", lambda: hs256(our_claims(exp=int(time.time()) - LEEWAY_SECONDS - 30)), "expired"),
    ("iat-in-future", lambda: hs256(our_claims(iat=int(time.time()) + LEEWAY_SECONDS + 60)), "not_yet_valid"),
    ("nbf-in-future", lambda: hs256(our_claims(nbf=int(time.time()) + LEEWAY_SECONDS + 60)), "not_yet_valid"),
    ("alg-none", lambda: crafted({"alg": "none", "typ": "JWT"}, our_claims()), "unsupported_algorithm"),
    ("alg-None", lambda: crafted({"alg": "None"}, our_claims()), "unsupported_algorithm"),
    ("hs512", lambda: jwt.encode(our_claims(), TEST_SECRET * 2, algorithm="HS512"), "unsupported_algorithm"),
    ("missing-exp", lambda: hs256(our_claims(exp=None)), "missing_exp"),
    ("absurd-exp", lambda: hs256(our_claims(exp=10**12)), "lifetime_too_long"),
    ("missing-sub", lambda: hs256(our_claims(sub=None, user_id=None)), "missing_subject"),
    (
        "numeric-sub",
        lambda: crafted({"alg": "HS256"}, our_claims(sub=123), TEST_SECRET.encode()),
        "invalid_subject",
    ),
    (
        "list-sub",
        lambda: crafted({"alg": "HS256"}, our_claims(sub=["x"]), TEST_SECRET.encode()),
        "invalid_subject",
    ),
    ("empty-sub", lambda: hs256(our_claims(sub="", user_id=None)), "invalid_subject"),
    ("numeric-user_id", lambda: hs256(our_claims(sub=None, user_id=42)), "invalid_subject"),
    ("nul-in-sub", lambda: hs256(our_claims(sub="a\x00b", user_id=None)), "invalid_subject"),
    ("sub-user_id-mismatch", lambda: hs256(our_claims(user_id="someone-else")), "subject_mismatch"),
]


@pytest.mark.parametrize(
    ("builder", "reason"), [(b, r) for _, b, r in HS256_REFUSALS], ids=[i for i, _, _ in HS256_REFUSALS]
)
def test_hs256_refusals(builder: Callable[[], str], reason: str) -> None:
    assert refused(builder()) == reason


def test_expired_token_says_so() -> None:
    with pytest.raises(TokenError) as caught:
        verify_token(hs256(our_claims(exp=int(time.time()) - 3600)), secret=TEST_SECRET, better_auth_url=None)
    assert caught.value.detail == "Token expired. Please log in again"


# --- Better Auth: asymmetric tokens against the JWKS ------------------------------------------------------


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, SigningKey]:
    return {
        algorithm: make_key(algorithm, f"{algorithm.lower()}-key-1") for algorithm in BETTER_AUTH_ALGORITHMS
    }


@pytest.fixture
def jwks(signing_keys: dict[str, SigningKey]) -> Iterator[JwksServer]:
    better_auth.clear_jwks_cache()
    with running_jwks_server() as server:
        server.serve(*signing_keys.values())
        yield server
    better_auth.clear_jwks_cache()


class FakeClock:
    """The cache's monotonic clock, and a wall clock that moves with it (tokens' iat are wall-clock times)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0
        self.wall_at_start = time.time()

    def __call__(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_at_start + self.now - 1000.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(better_auth, "_clock", fake)
    monkeypatch.setattr(better_auth, "_sleep", fake.sleep)
    monkeypatch.setattr(better_auth, "_wall_clock", fake.wall, raising=False)
    return fake


@pytest.mark.parametrize("algorithm", BETTER_AUTH_ALGORITHMS)
def test_better_auth_tokens_verify_for_each_algorithm(
    algorithm: str, jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    token = signing_keys[algorithm].sign(better_auth_claims(jwks.origin, sub=BA_USER, email="Ba@Example.com"))
    verified = verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin)
    assert verified.source == "better_auth"
    assert (verified.issuer, verified.user_id) == (jwks.origin, BA_USER)
    assert verified.email == "Ba@Example.com"
    assert verified.name == "Person"
    assert verified.token_id is None
    signed_part = token.rpartition(".")[0]
    assert verified.revocation_key == "sig:" + hashlib.sha256(signed_part.encode()).hexdigest()


def test_keys_are_cached_per_container(jwks: JwksServer, signing_keys: dict[str, SigningKey]) -> None:
    for algorithm in BETTER_AUTH_ALGORITHMS * 3:
        token = signing_keys[algorithm].sign(better_auth_claims(jwks.origin, sub=BA_USER))
        verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin)
    assert jwks.requests == 1


def _public_pem(key: SigningKey) -> bytes:
    return key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _ba_refusals(origin: str, keys: dict[str, SigningKey]) -> list[tuple[str, str, str]]:
    ed, es256, ps256 = keys["EdDSA"], keys["ES256"], keys["PS256"]
    good = better_auth_claims(origin, sub=BA_USER)
    now = int(time.time())
    stranger = make_key("EdDSA", ed.kid)  # same kid, different key
    return [
        ("alg-none", crafted({"alg": "none", "kid": ed.kid}, good), "algorithm_not_allowed"),
        (
            "hs256-with-public-pem",
            crafted({"alg": "HS256", "kid": ed.kid}, good, _public_pem(ed)),
            "bad_signature",
        ),
        (
            "hs256-with-jwk-bytes",
            crafted({"alg": "HS256", "kid": es256.kid}, good, json.dumps(es256.public_jwk).encode()),
            "bad_signature",
        ),
        ("hs512-header", crafted({"alg": "HS512", "kid": ed.kid}, good, b"x" * 64), "algorithm_not_allowed"),
        ("es384-header", crafted({"alg": "ES384", "kid": es256.kid}, good, b"x"), "algorithm_not_allowed"),
        # An EdDSA signature presented under an EC key's kid: the EC key does not verify EdDSA.
        ("eddsa-on-ec-key", ed.sign(good, headers={"kid": es256.kid}), "algorithm_not_allowed"),
        # The JWK declares PS256: RS256 is not accepted with it even though both are RSA.
        (
            "rs256-on-ps256-key",
            jwt.encode(good, ps256.private_key, algorithm="RS256", headers={"kid": ps256.kid}),
            "algorithm_not_allowed",
        ),
        ("unknown-kid", ed.sign(good, headers={"kid": "no-such-key"}), "unknown_kid"),
        ("missing-kid", jwt.encode(good, ed.private_key, algorithm="EdDSA"), "missing_kid"),
        ("wrong-signature", stranger.sign(good), "bad_signature"),
        ("wrong-iss", ed.sign({**good, "iss": "https://evil.example"}), "bad_issuer"),
        ("wrong-aud", ed.sign({**good, "aud": "https://evil.example"}), "bad_audience"),
        ("missing-aud", ed.sign({k: v for k, v in good.items() if k != "aud"}), "missing_aud"),
        ("missing-sub", ed.sign({k: v for k, v in good.items() if k != "sub"}), "missing_sub"),
        ("numeric-sub", ed.sign({**good, "sub": 1234}), "invalid_subject"),
        ("expired", ed.sign({**good, "exp": now - LEEWAY_SECONDS - 30}), "expired"),
        ("iat-in-future", ed.sign({**good, "iat": now + LEEWAY_SECONDS + 60}), "not_yet_valid"),
        ("nbf-in-future", ed.sign({**good, "nbf": now + LEEWAY_SECONDS + 60}), "not_yet_valid"),
    ]


BA_REFUSAL_IDS = [
    "alg-none",
    "hs256-with-public-pem",
    "hs256-with-jwk-bytes",
    "hs512-header",
    "es384-header",
    "eddsa-on-ec-key",
    "rs256-on-ps256-key",
    "unknown-kid",
    "missing-kid",
    "wrong-signature",
    "wrong-iss",
    "wrong-aud",
    "missing-aud",
    "missing-sub",
    "numeric-sub",
    "expired",
    "iat-in-future",
    "nbf-in-future",
]


@pytest.mark.parametrize("case", BA_REFUSAL_IDS)
def test_better_auth_refusals(case: str, jwks: JwksServer, signing_keys: dict[str, SigningKey]) -> None:
    cases = {name: (token, reason) for name, token, reason in _ba_refusals(jwks.origin, signing_keys)}
    assert set(cases) == set(BA_REFUSAL_IDS)
    token, reason = cases[case]
    assert refused(token, jwks.origin) == reason


def test_asymmetric_tokens_are_refused_when_better_auth_is_off(signing_keys: dict[str, SigningKey]) -> None:
    token = signing_keys["EdDSA"].sign(better_auth_claims("http://127.0.0.1:9", sub=BA_USER))
    assert refused(token, None) == "unsupported_algorithm"


def test_a_newly_published_key_is_accepted_right_after_a_fetch(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey]
) -> None:
    """Better Auth rotated a moment after our last fetch: the token waits for the next fetch (at most one a
    second), it is not refused, which would sign its user out."""
    old, new = signing_keys["EdDSA"], make_key("EdDSA", "eddsa-key-2")
    old_token = old.sign(better_auth_claims(jwks.origin, sub=BA_USER))
    new_token = new.sign(better_auth_claims(jwks.origin, sub=BA_USER))
    assert verify_token(old_token, secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    assert jwks.requests == 1

    jwks.serve(new)  # Better Auth rotated: the new key only
    clock.now += 0.2
    assert verify_token(new_token, secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    assert jwks.requests == 2
    assert clock.slept == pytest.approx(better_auth.UNKNOWN_KID_MIN_INTERVAL_SECONDS - 0.2)
    # The old kid is gone from the refetched set: refused after one more look (the token was signed within
    # the leeway of the last fetch, so that fetch cannot tell).
    assert refused(old_token, jwks.origin) == "unknown_kid"
    assert jwks.requests == 3


def _junk(origin: str, key: SigningKey, kid: str, issued_at: float) -> str:
    return key.sign(better_auth_claims(origin, sub=BA_USER, now=issued_at), headers={"kid": kid})


def test_made_up_kids_of_tokens_older_than_the_keys_cost_no_fetch(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey]
) -> None:
    """The set was fetched after such a token was signed: its key would be listed. A 401 at once."""
    key = signing_keys["ES256"]
    assert verify_token(
        key.sign(better_auth_claims(jwks.origin, sub=BA_USER, now=clock.wall())),
        secret=TEST_SECRET,
        better_auth_url=jwks.origin,
    )
    old = clock.wall() - LEEWAY_SECONDS - 5
    for index in range(40):
        assert refused(_junk(jwks.origin, key, f"random-{index}", old), jwks.origin) == "unknown_kid"
    assert jwks.requests == 1


def test_made_up_kids_of_new_tokens_spend_a_refilling_bucket_then_get_a_brief_503(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(better_auth, "UNKNOWN_KID_MIN_INTERVAL_SECONDS", 0.0)  # no time passes
    key = signing_keys["ES256"]
    assert verify_token(
        key.sign(better_auth_claims(jwks.origin, sub=BA_USER, now=clock.wall())),
        secret=TEST_SECRET,
        better_auth_url=jwks.origin,
    )
    answers = []
    for index in range(40):
        try:
            refused_reason = refused(_junk(jwks.origin, key, f"random-{index}", clock.wall()), jwks.origin)
            answers.append(refused_reason)
        except KeysUnavailable as unavailable:
            answers.append(f"503 after {unavailable.retry_after_seconds}")
    budget = better_auth.UNKNOWN_KID_FETCH_BUDGET
    assert jwks.requests == 1 + budget  # never more than the bucket holds
    assert answers[:budget] == ["unknown_kid"] * budget  # each checked by a fetch made for it
    refill = math.ceil(better_auth.UNKNOWN_KID_REFILL_SECONDS)
    assert answers[budget:] == [f"503 after {refill}"] * (40 - budget)
    clock.now += better_auth.UNKNOWN_KID_REFILL_SECONDS  # one fetch back in the bucket
    assert refused(_junk(jwks.origin, key, "again", clock.wall()), jwks.origin) == "unknown_kid"
    assert jwks.requests == 2 + budget


def test_a_flood_of_made_up_kids_never_makes_a_new_keys_token_a_401(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Junk spends the fetch budget; then Better Auth publishes a key and signs with it. Its token may wait
    (503 with Retry-After, at most one refill), and is then accepted: never refused, which signs users out."""
    monkeypatch.setattr(better_auth, "UNKNOWN_KID_MIN_INTERVAL_SECONDS", 0.0)  # the flood as fast as can be
    known = signing_keys["EdDSA"]
    assert verify_token(
        known.sign(better_auth_claims(jwks.origin, sub=BA_USER, now=clock.wall())),
        secret=TEST_SECRET,
        better_auth_url=jwks.origin,
    )
    for index in range(3 * better_auth.UNKNOWN_KID_FETCH_BUDGET):
        with pytest.raises((TokenError, KeysUnavailable)):
            verify_token(
                _junk(jwks.origin, known, f"junk-{index}", clock.wall()),
                secret=TEST_SECRET,
                better_auth_url=jwks.origin,
            )
    fresh = make_key("EdDSA", "published-after-the-flood")
    jwks.serve(known, fresh)
    token = fresh.sign(better_auth_claims(jwks.origin, sub=BA_USER, now=clock.wall()))
    waits: list[int] = []
    verified = None
    while verified is None and len(waits) < 5:
        try:
            verified = verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin)
        except KeysUnavailable as unavailable:  # a TokenError here fails the test
            waits.append(unavailable.retry_after_seconds)
            clock.now += unavailable.retry_after_seconds
    assert sum(waits) <= math.ceil(better_auth.UNKNOWN_KID_REFILL_SECONDS)
    assert verified is not None
    assert verified.user_id == BA_USER


def test_better_auth_tokens_are_capped_at_seven_days(
    jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    key = signing_keys["EdDSA"]
    week = key.sign(better_auth_claims(jwks.origin, sub=BA_USER, lifetime=7 * 86400))
    assert verify_token(week, secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    for lifetime in (7 * 86400 + 1, 10 * 365 * 86400):
        token = key.sign(better_auth_claims(jwks.origin, sub=BA_USER, lifetime=lifetime))
        assert refused(token, jwks.origin) == "lifetime_too_long"


@pytest.mark.parametrize("published", [[], "unusable"])
def test_a_withdrawn_key_stops_working_when_the_set_is_emptied(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey], published: object
) -> None:
    """An emergency revocation: the JWKS published without the key (empty, or only keys we cannot use)."""
    token = signing_keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    assert verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    jwks.keys = [] if published == [] else [{"kty": "oct", "kid": "x", "k": "c2VjcmV0"}]
    clock.now += better_auth.MAX_CACHE_AGE_SECONDS + 1
    assert refused(token, jwks.origin) == "unknown_kid"


def test_stale_keys_are_refreshed_and_kept_when_the_refresh_fails(
    jwks: JwksServer, clock: FakeClock, signing_keys: dict[str, SigningKey]
) -> None:
    token = signing_keys["RS256"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin)
    clock.now += better_auth.MAX_CACHE_AGE_SECONDS + 1
    jwks.status = 500
    assert verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    assert jwks.requests == 2  # it tried
    jwks.status = 200
    jwks.serve(signing_keys["ES256"])  # the RS256 key was withdrawn
    clock.now += better_auth.RETRY_AFTER_FAILURE_SECONDS + 1
    assert refused(token, jwks.origin) == "unknown_kid"
    assert jwks.requests == 3


def test_a_slow_jwks_endpoint_times_out_quickly(
    jwks: JwksServer, monkeypatch: pytest.MonkeyPatch, signing_keys: dict[str, SigningKey]
) -> None:
    monkeypatch.setattr(better_auth, "FETCH_TIMEOUT_SECONDS", 0.2)
    jwks.delay_seconds = 3.0  # the answer would come after the budget below
    token = signing_keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    started = time.monotonic()
    assert keys_unavailable(token, jwks.origin)
    assert time.monotonic() - started < 10 * better_auth.FETCH_TIMEOUT_SECONDS


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"keys": "nope"}', b"[" * 5000],
    ids=["not-json", "array", "keys-string", "nested"],
)
def test_unreadable_jwks_documents_make_better_auth_tokens_temporarily_unavailable(
    body: bytes, jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    jwks.body = body
    token = signing_keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    assert keys_unavailable(token, jwks.origin)


@pytest.mark.parametrize(
    "body", [b'{"keys": []}', b'{"keys": [1, "x", null]}'], ids=["no-keys", "junk-entries"]
)
def test_jwks_documents_without_usable_keys_refuse_tokens(
    body: bytes, jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    jwks.body = body
    token = signing_keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    assert refused(token, jwks.origin) == "unknown_kid"


def test_a_truncated_jwks_response_makes_better_auth_tokens_temporarily_unavailable(
    jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    document = json.dumps({"keys": jwks.keys}).encode()
    jwks.body, jwks.declared_length = document[: len(document) // 2], len(document)  # the server hangs up
    token = signing_keys["EdDSA"].sign(better_auth_claims(jwks.origin, sub=BA_USER))
    assert keys_unavailable(token, jwks.origin)
    assert jwks.requests == 1


def test_unusable_jwks_entries_are_skipped(jwks: JwksServer, signing_keys: dict[str, SigningKey]) -> None:
    ed = signing_keys["EdDSA"]
    secret_jwk = {"kty": "oct", "kid": "shared", "k": b64(b"k" * 32), "alg": "HS256"}
    jwks.keys = [
        secret_jwk,
        {**signing_keys["ES256"].public_jwk, "use": "enc"},
        {**signing_keys["ES512"].public_jwk, "alg": "ES256"},  # declares an algorithm its curve cannot do
        {"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "EC", "kid": "odd-curve", "crv": ["P-256"], "x": "AA", "y": "AA"},
        {"kty": "OKP", "kid": "odd-x", "crv": "Ed25519", "x": 12345},
        {"kty": "RSA", "kid": "odd-n", "n": None, "e": "AQAB"},
        {"kty": ["RSA"], "kid": "odd-kty"},
        ed.public_jwk,
    ]
    claims = better_auth_claims(jwks.origin, sub=BA_USER)
    assert verify_token(ed.sign(claims), secret=TEST_SECRET, better_auth_url=jwks.origin).user_id == BA_USER
    # A symmetric key published in the JWKS is never used, whatever the header says.
    forged = jwt.encode(claims, b"k" * 32, algorithm="HS256", headers={"kid": "shared"})
    assert refused(forged, jwks.origin) == "bad_signature"
    forged_512 = jwt.encode(claims, b"k" * 64, algorithm="HS512", headers={"kid": "shared"})
    assert refused(forged_512, jwks.origin) == "algorithm_not_allowed"
    assert refused(signing_keys["ES256"].sign(claims), jwks.origin) == "unknown_kid"
    assert refused(signing_keys["ES512"].sign(claims), jwks.origin) == "unknown_kid"


def test_a_reencoded_signature_keeps_the_revocation_key(
    jwks: JwksServer, signing_keys: dict[str, SigningKey]
) -> None:
    """ECDSA's (r, n - s) is an equally valid signature: revoking by the whole string would miss it."""
    key = signing_keys["ES256"]
    token = key.sign(better_auth_claims(jwks.origin, sub=BA_USER))
    signed_part, _, signature = token.rpartition(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    r, s = int.from_bytes(raw[:32]), int.from_bytes(raw[32:])
    order = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
    assert isinstance(key.private_key, ec.EllipticCurvePrivateKey)
    twin = f"{signed_part}.{b64(r.to_bytes(32) + (order - s).to_bytes(32))}"
    assert twin != token
    first = verify_token(token, secret=TEST_SECRET, better_auth_url=jwks.origin)
    second = verify_token(twin, secret=TEST_SECRET, better_auth_url=jwks.origin)
    assert first.revocation_key == second.revocation_key
