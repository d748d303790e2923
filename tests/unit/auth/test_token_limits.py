"""HS256 tokens: an issuer other than ours is refused, and so is a lifetime over the configured maximum.

The attacks: whoever holds a token minted with the shared secret for a year-9999 `exp` keeps access for ever
(a leaked or logged token never dies); a token naming another issuer (a Better Auth origin, another service
sharing the secret) is not one of ours nor a frontend's and must not pass as a local account's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from tests.support.app_state import TEST_SECRET
from tests.support.jwks import USER_ID, crafted, hs256, our_claims
from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError
from todo_shared.auth.tokens import ISSUER, issue_token
from todo_shared.auth.verify import verify_token
from todo_shared.config.settings import DEFAULT_HS256_MAX_LIFETIME_MINUTES, DEFAULT_JWT_EXPIRES_MINUTES
from todo_shared.http.errors import answer_for

YEAR_9999 = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())
DEFAULT_MAX_SECONDS = DEFAULT_HS256_MAX_LIFETIME_MINUTES * 60


def refusal(token: str, max_minutes: int = DEFAULT_HS256_MAX_LIFETIME_MINUTES) -> TokenError:
    with pytest.raises(TokenError) as caught:
        verify_token(token, secret=TEST_SECRET, better_auth_url=None, hs256_max_lifetime_minutes=max_minutes)
    return caught.value


def accepted(token: str, max_minutes: int = DEFAULT_HS256_MAX_LIFETIME_MINUTES) -> str:
    verified = verify_token(
        token, secret=TEST_SECRET, better_auth_url=None, hs256_max_lifetime_minutes=max_minutes
    )
    return verified.user_id


def assert_lifetime_refused(error: TokenError) -> None:
    assert error.reason == "lifetime_too_long"
    assert (answer_for(error).status, error.code) == (401, "invalid_token")
    assert error.detail == "Token lifetime exceeds the maximum this API accepts"


# --- Lifetime ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param(lambda now: our_claims(exp=YEAR_9999), id="ours-year-9999"),
        pytest.param(lambda now: {"sub": USER_ID, "exp": YEAR_9999}, id="frontend-no-iat-year-9999"),
        pytest.param(lambda now: {"sub": USER_ID, "iat": now, "exp": YEAR_9999}, id="frontend-year-9999"),
    ],
)
def test_a_token_that_never_expires_is_refused(claims: Any) -> None:
    assert_lifetime_refused(refusal(hs256(claims(int(time.time())))))


def test_a_lifetime_one_second_over_the_maximum_is_refused_and_the_maximum_passes() -> None:
    now = int(time.time())
    assert_lifetime_refused(refusal(hs256(our_claims(iat=now, exp=now + DEFAULT_MAX_SECONDS + 1))))
    assert accepted(hs256(our_claims(iat=now, exp=now + DEFAULT_MAX_SECONDS))) == USER_ID


def test_an_old_iat_does_not_hide_a_long_lifetime() -> None:
    """Issued 30 days ago, valid for another hour: its lifetime is 30 days and an hour."""
    now = int(time.time())
    assert_lifetime_refused(refusal(hs256(our_claims(iat=now - 30 * 86400, exp=now + 3600))))


def test_without_iat_the_lifetime_is_what_is_left_of_it() -> None:
    """No iat: exp - now, with the clock-skew leeway for an issuer whose clock runs slightly ahead."""
    now = int(time.time())
    assert (
        accepted(hs256({"sub": USER_ID, "exp": now + DEFAULT_MAX_SECONDS + LEEWAY_SECONDS // 2})) == USER_ID
    )
    too_long = hs256({"sub": USER_ID, "exp": now + DEFAULT_MAX_SECONDS + LEEWAY_SECONDS + 60})
    assert_lifetime_refused(refusal(too_long))


def test_the_configured_maximum_is_the_one_applied() -> None:
    now = int(time.time())
    two_hours = hs256(our_claims(iat=now, exp=now + 7200))
    assert accepted(two_hours, max_minutes=120) == USER_ID
    assert_lifetime_refused(refusal(two_hours, max_minutes=60))


def test_our_own_tokens_of_the_default_lifetime_pass_the_default_maximum() -> None:
    issued = issue_token(
        user_id=USER_ID,
        email="p@example.com",
        secret=TEST_SECRET,
        expires_minutes=DEFAULT_JWT_EXPIRES_MINUTES,
    )
    assert accepted(issued.token) == USER_ID


def test_a_string_exp_is_refused_not_a_crash() -> None:
    """PyJWT converts a numeric string; the lifetime check reads it the same way."""
    now = int(time.time())
    assert_lifetime_refused(refusal(hs256({"sub": USER_ID, "iat": str(now), "exp": str(YEAR_9999)})))


# --- Issuer --------------------------------------------------------------------------------------------


def test_our_issued_tokens_carry_our_issuer_and_verify() -> None:
    issued = issue_token(user_id=USER_ID, email="p@example.com", secret=TEST_SECRET, expires_minutes=15)
    assert jwt.decode(issued.token, TEST_SECRET, algorithms=["HS256"])["iss"] == ISSUER == "todo-api"
    assert accepted(issued.token) == USER_ID


@pytest.mark.parametrize(
    "issuer",
    ["https://auth.example.com", "todo-api-staging", "TODO-API", "", None, 123, ["todo-api"]],
    ids=["better-auth-origin", "another-service", "case", "empty", "null", "number", "list"],
)
def test_a_token_claiming_another_issuer_is_refused(issuer: object) -> None:
    # Built by hand: PyJWT will not sign a non-string iss.
    error = refusal(crafted({"alg": "HS256"}, our_claims(iss=None) | {"iss": issuer}, TEST_SECRET.encode()))
    assert error.reason == "bad_issuer"
    assert (answer_for(error).status, error.code) == (401, "invalid_token")
    assert error.detail == "Token issuer is not accepted"


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"sub": USER_ID}, id="sub-only"),
        pytest.param({"user_id": USER_ID}, id="user_id-only"),
        pytest.param({"sub": USER_ID, "aud": "anything"}, id="with-aud"),
        pytest.param({"sub": USER_ID, "iss": ISSUER}, id="naming-us"),
    ],
)
def test_a_frontend_token_without_issuer_within_the_maximum_is_accepted(claims: dict[str, Any]) -> None:
    now = int(time.time())
    assert accepted(hs256({**claims, "iat": now, "exp": now + 900})) == USER_ID
