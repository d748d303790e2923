"""Token lifetimes and issuers, unit-level: one cap for every token, the kind an HS256 token's iss decides.

The attacks: whoever holds a token minted with the shared secret (or a Better Auth key) for a year-9999 `exp`
keeps access for ever (a leaked or logged token never dies); a token whose iss is not ours must never pass as a
local account's.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from tests.support.app_state import TEST_SECRET
from tests.support.jwks import USER_ID, crafted, hs256, our_claims
from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError, VerifiedToken
from todo_shared.auth.tokens import ISSUER, issue_token
from todo_shared.auth.verify import verify_token
from todo_shared.config.settings import (
    DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES,
    DEFAULT_JWT_EXPIRES_MINUTES,
)
from todo_shared.http.errors import answer_for
from todo_shared.models import FRONTEND_ISSUER, LOCAL_ISSUER

YEAR_9999 = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())
SEVEN_DAYS = 7 * 24 * 3600
LIFETIME_DETAIL = (
    "Token lifetime (exp - iat) is over the 7 days this API accepts: issue shorter tokens, or raise "
    "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES (now 10080)"
)


def refusal(token: str, **rules: Any) -> TokenError:
    with pytest.raises(TokenError) as caught:
        verify_token(token, secret=TEST_SECRET, better_auth_url=None, **rules)
    return caught.value


def accepted(token: str, **rules: Any) -> VerifiedToken:
    return verify_token(token, secret=TEST_SECRET, better_auth_url=None, **rules)


def assert_lifetime_refused(error: TokenError, detail: str = LIFETIME_DETAIL) -> None:
    assert error.reason == "lifetime_too_long"
    assert (answer_for(error).status, error.code) == (401, "invalid_token")
    assert error.detail == detail


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


@pytest.mark.parametrize("kind", ["ours", "frontend"])
def test_exactly_seven_days_passes_and_one_second_more_is_refused(kind: str) -> None:
    """jose's setExpirationTime("7d") and Better Auth's "7d" make exp - iat = 604800 exactly."""
    now = int(time.time())
    claims = our_claims() if kind == "ours" else {"sub": USER_ID}
    assert accepted(hs256({**claims, "iat": now, "exp": now + SEVEN_DAYS})).user_id == USER_ID
    assert_lifetime_refused(refusal(hs256({**claims, "iat": now, "exp": now + SEVEN_DAYS + 1})))


def test_an_old_iat_does_not_hide_a_long_lifetime() -> None:
    """Issued 30 days ago, valid for another hour: its lifetime is 30 days and an hour."""
    now = int(time.time())
    assert_lifetime_refused(refusal(hs256(our_claims(iat=now - 30 * 86400, exp=now + 3600))))


def test_without_iat_the_lifetime_is_what_is_left_of_it() -> None:
    """No iat: exp - now, with the clock-skew leeway for an issuer whose clock runs slightly ahead."""
    now = int(time.time())
    assert accepted(hs256({"sub": USER_ID, "exp": now + SEVEN_DAYS + LEEWAY_SECONDS // 2})).user_id == USER_ID
    assert_lifetime_refused(refusal(hs256({"sub": USER_ID, "exp": now + SEVEN_DAYS + LEEWAY_SECONDS + 60})))


def test_the_configured_cap_is_the_one_applied_and_named() -> None:
    now = int(time.time())
    two_hours = hs256({"sub": USER_ID, "iat": now, "exp": now + 7200})
    assert accepted(two_hours, max_lifetime_minutes=120).user_id == USER_ID
    assert_lifetime_refused(
        refusal(two_hours, max_lifetime_minutes=90),
        "Token lifetime (exp - iat) is over the 90 minutes this API accepts: issue shorter tokens, or raise "
        "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES (now 90)",
    )


def test_our_own_tokens_of_the_default_lifetime_pass_the_default_cap() -> None:
    assert DEFAULT_JWT_EXPIRES_MINUTES <= DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES
    issued = issue_token(
        user_id=USER_ID,
        email="p@example.com",
        secret=TEST_SECRET,
        expires_minutes=DEFAULT_JWT_EXPIRES_MINUTES,
    )
    assert accepted(issued.token).user_id == USER_ID


def test_a_string_exp_is_refused_not_a_crash() -> None:
    """PyJWT converts a numeric string; the lifetime check reads it the same way."""
    now = int(time.time())
    assert_lifetime_refused(refusal(hs256({"sub": USER_ID, "iat": str(now), "exp": str(YEAR_9999)})))


# --- Issuer: ours, or a frontend's -----------------------------------------------------------------------


def test_our_issued_tokens_carry_our_issuer_and_name_local_accounts() -> None:
    issued = issue_token(user_id=USER_ID, email="p@example.com", secret=TEST_SECRET, expires_minutes=15)
    assert jwt.decode(issued.token, TEST_SECRET, algorithms=["HS256"])["iss"] == ISSUER == "todo-api"
    verified = accepted(issued.token)
    assert (verified.source, verified.issuer, verified.user_id) == ("api", LOCAL_ISSUER, USER_ID)


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"sub": USER_ID}, id="sub-only"),
        pytest.param({"user_id": USER_ID}, id="user_id-only"),
        pytest.param({"sub": USER_ID, "aud": "fastapi-backend"}, id="with-aud"),
        pytest.param({"sub": USER_ID, "iss": "nextjs-frontend", "aud": "fastapi-backend"}, id="own-naming"),
        pytest.param({"sub": USER_ID, "iss": "https://auth.example.com"}, id="an-origin"),
        pytest.param({"sub": USER_ID, "iss": "TODO-API"}, id="ours-in-another-case"),
    ],
)
def test_any_other_issuer_is_a_frontend_token_naming_a_frontend_user(claims: dict[str, Any]) -> None:
    now = int(time.time())
    verified = accepted(hs256({**claims, "iat": now, "exp": now + 900}))
    assert (verified.source, verified.issuer, verified.user_id) == ("frontend", FRONTEND_ISSUER, USER_ID)
    assert verified.session_id is None
    origin = "https://app.example.com"
    with_better_auth = verify_token(
        hs256({**claims, "iat": now, "exp": now + 900}), secret=TEST_SECRET, better_auth_url=origin
    )
    assert with_better_auth.issuer == origin  # the namespace Better Auth's tokens of the same user share


@pytest.mark.parametrize("issuer", ["", None, 123, ["todo-api"]], ids=["empty", "null", "number", "list"])
def test_an_issuer_that_is_not_a_string_is_refused(issuer: object) -> None:
    # Built by hand: PyJWT will not sign a non-string iss.
    error = refusal(crafted({"alg": "HS256"}, our_claims(iss=None) | {"iss": issuer}, TEST_SECRET.encode()))
    assert error.reason == "bad_issuer"
    assert (answer_for(error).status, error.code) == (401, "invalid_token")
    assert error.detail == "Token issuer (iss) must be a non-empty string when present"


PINNED = {"frontend_jwt_issuer": "nextjs-frontend", "frontend_jwt_audience": "fastapi-backend"}


@pytest.mark.parametrize(
    ("claims", "reason", "detail"),
    [
        (
            {"iss": "someone-else", "aud": "fastapi-backend"},
            "bad_issuer",
            "Token issuer (iss) must equal the API's FRONTEND_JWT_ISSUER",
        ),
        (
            {"aud": "fastapi-backend"},
            "missing_iss",
            "Token issuer (iss) must equal the API's FRONTEND_JWT_ISSUER",
        ),
        (
            {"iss": "nextjs-frontend", "aud": "other"},
            "bad_audience",
            "Token audience (aud) must include the API's FRONTEND_JWT_AUDIENCE",
        ),
        (
            {"iss": "nextjs-frontend"},
            "missing_aud",
            "Token audience (aud) must include the API's FRONTEND_JWT_AUDIENCE",
        ),
    ],
    ids=["other-issuer", "no-issuer", "other-audience", "no-audience"],
)
def test_a_pinned_issuer_and_audience_are_required(claims: dict[str, Any], reason: str, detail: str) -> None:
    now = int(time.time())
    error = refusal(hs256({"sub": USER_ID, **claims, "iat": now, "exp": now + 900}), **PINNED)
    assert (error.reason, error.detail, error.code) == (reason, detail, "invalid_token")


def test_pinned_values_pass_and_do_not_apply_to_our_tokens() -> None:
    now = int(time.time())
    for aud in ("fastapi-backend", ["other", "fastapi-backend"]):
        token = hs256({"sub": USER_ID, "iss": "nextjs-frontend", "aud": aud, "iat": now, "exp": now + 900})
        assert accepted(token, **PINNED).source == "frontend"
    issued = issue_token(user_id=USER_ID, email=None, secret=TEST_SECRET, expires_minutes=15)
    assert accepted(issued.token, **PINNED).source == "api"
