"""JWTs: the HS256 tokens this API issues, and verification of every token it accepts.

Accepted: HS256 signed with ``BETTER_AUTH_SECRET`` (ours, or a frontend's; user id in ``sub`` or ``user_id``).
Asymmetric tokens from Better Auth's ``jwt`` plugin are verified by ``todo_shared.better_auth`` when
``BETTER_AUTH_URL`` is set. The algorithm is never taken from the token alone: each key type has its own
allow-list, so ``alg: none`` or an HS256 token "signed" with a public key's bytes are rejected.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

ISSUER = "todo-api"
HMAC_ALGORITHMS = ["HS256"]
LEEWAY_SECONDS = 30

TokenSource = Literal["api", "better_auth"]


class TokenError(Exception):
    """A token was refused. ``reason`` is a short machine-readable cause, safe to log."""

    def __init__(self, reason: str, detail: str = "Invalid authentication token") -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    user_id: str
    email: str | None
    name: str | None
    token_id: str | None  # jti; None for tokens that carry none (Better Auth's)
    expires_at: datetime
    source: TokenSource


def issue_token(
    *, user_id: str, email: str, secret: str, expires_minutes: int, now: datetime | None = None
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
    return IssuedToken(jwt.encode(claims, secret, algorithm="HS256"), token_id, expires)


def unverified_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("malformed") from None
    if not isinstance(header.get("alg"), str):
        raise TokenError("malformed")
    return header


def _string_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def claims_to_token(claims: dict[str, Any], source: TokenSource) -> VerifiedToken:
    user_id = _string_claim(claims, "sub") or _string_claim(claims, "user_id")
    if user_id is None or len(user_id) > 64:
        raise TokenError("missing_subject")
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        raise TokenError("missing_expiry")
    return VerifiedToken(
        user_id=user_id,
        email=_string_claim(claims, "email"),
        name=_string_claim(claims, "name"),
        token_id=_string_claim(claims, "jti"),
        expires_at=datetime.fromtimestamp(exp, UTC),
        source=source,
    )


def _decode_error_reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "not_yet_valid"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad_signature"
    if isinstance(error, jwt.InvalidIssuerError):
        return "bad_issuer"
    if isinstance(error, jwt.InvalidAudienceError):
        return "bad_audience"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing_{error.claim}"
    return "invalid"


def decode_hs256(token: str, secret: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=HMAC_ALGORITHMS,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat"], "verify_aud": False, "verify_sub": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("expired", "Token expired. Please log in again") from None
    except jwt.PyJWTError as error:
        raise TokenError(_decode_error_reason(error)) from None
    return dict(claims)


def verify_token(token: str, *, secret: str, better_auth_url: str | None) -> VerifiedToken:
    """Verify ``token`` with the key its type allows; raise ``TokenError`` otherwise."""
    header = unverified_header(token)
    algorithm = header["alg"]
    if algorithm in HMAC_ALGORITHMS:
        return claims_to_token(decode_hs256(token, secret), "api")
    if better_auth_url is None:
        raise TokenError("unsupported_algorithm")
    from todo_shared.better_auth import decode_better_auth

    return claims_to_token(decode_better_auth(token, header, better_auth_url), "better_auth")
