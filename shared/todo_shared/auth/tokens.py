"""The HS256 tokens this API issues, and the check of every HS256 token it accepts.

Accepted: HS256 signed with ``BETTER_AUTH_SECRET`` (ours, or a frontend's; user id in ``sub`` or ``user_id``),
with no ``iss`` or ours, and a lifetime within ``HS256_MAX_LIFETIME_MINUTES`` (docs/adr/0006-tokens.md).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError, token_error

# Our tokens' iss: one constant for every function and deployment (the secret, not the issuer, is what sets
# one stack's tokens apart from another's).
ISSUER = "todo-api"
HMAC_ALGORITHMS = ["HS256"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


def issue_token(
    *,
    user_id: str,
    email: str,
    secret: str,
    session_id: str | None = None,
    expires_minutes: int,
    now: datetime | None = None,
) -> IssuedToken:
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + timedelta(minutes=expires_minutes)
    token_id = uuid.uuid4().hex
    claims = {
        "sub": user_id,
        "user_id": user_id,
        "email": email,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": token_id,
        "iss": ISSUER,
    }
    if session_id is not None:  # the session it belongs to; tools mint tokens without one
        claims["sid"] = session_id
    return IssuedToken(jwt.encode(claims, secret, algorithm="HS256"), token_id, expires)


def decode_hs256(token: str, secret: str, *, max_lifetime_minutes: int) -> dict[str, Any]:
    """Verify an HS256 token's signature and claims; raise ``TokenError`` otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=HMAC_ALGORITHMS,
            leeway=LEEWAY_SECONDS,
            # exp bounds every token; iat/nbf are checked when present. aud belongs to whoever signed with
            # the shared secret, so it is not pinned here; iss is checked below.
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.PyJWTError as error:
        raise token_error(error) from None
    except (ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    if "iss" in claims and claims["iss"] != ISSUER:
        # A frontend's token names no issuer; one naming another (a Better Auth origin, another service)
        # is not ours to accept under the shared secret.
        raise TokenError("bad_issuer", "Token issuer is not accepted")
    _check_lifetime(claims, max_lifetime_minutes * 60, time.time())
    return dict(claims)


def _check_lifetime(claims: dict[str, Any], max_seconds: int, now: float) -> None:
    """exp - iat, or exp - now for a token without iat, must not exceed ``max_seconds``.

    PyJWT has checked that exp (and iat when present) convert to whole numbers, as it converts them.
    """
    expires = int(claims["exp"])
    if "iat" in claims:
        lifetime, allowed = expires - int(claims["iat"]), max_seconds
    else:  # a token issued a moment ago by a clock slightly ahead of ours
        lifetime, allowed = expires - int(now), max_seconds + LEEWAY_SECONDS
    if lifetime > allowed:
        raise TokenError("lifetime_too_long", "Token lifetime exceeds the maximum this API accepts")
