"""What every accepted token comes down to, whoever signed it: ``VerifiedToken``, or a ``TokenError``.

Shared by the HS256 tokens (ours and a frontend's: ``todo_shared.auth.tokens``) and Better Auth's
(``todo_shared.auth.better_auth``). A refusal's ``detail`` says why in words a frontend developer can act on
(``REFUSALS``); it names settings and claims, never a token's content.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import jwt
from jwt.exceptions import InvalidSubjectError

from todo_shared.errors import AuthenticationFailed
from todo_shared.models import SESSION_ID_PATTERN

LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 8192
MAX_JTI_LENGTH = 64
# Compact JWS: three base64url segments (the signature may be empty only for alg "none", refused later).
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# User ids: ours are UUIDs, Better Auth's 32 alphanumerics; anything printable without spaces, bounded.
_USER_ID = re.compile(r"[\x21-\x7e]{1,64}")

# Who signed: this API ("api"), a frontend with the shared secret ("frontend"), Better Auth's jwt plugin.
TokenSource = Literal["api", "frontend", "better_auth"]

_SIGNED_WITH = "HS256 tokens must be signed with the API's BETTER_AUTH_SECRET"
# Why a token was refused, by logged reason: ASCII without quotes or backslashes, as the detail is also the
# WWW-Authenticate error_description (RFC 6750 section 3).
REFUSALS: dict[str, str] = {
    "malformed": "Token is not a JWT: expected three base64url parts, header.payload.signature",
    "malformed_header": "The Authorization header must be: Bearer <token>",
    "expired": "Token expired. Please log in again",
    "not_yet_valid": "Token is not valid yet (iat or nbf is in the future): check the signing server's clock",
    "bad_signature": f"Token signature does not verify: {_SIGNED_WITH}",
    "unsupported_algorithm": (
        "Token algorithm is not accepted: use HS256 with BETTER_AUTH_SECRET (Better Auth's asymmetric tokens "
        "need BETTER_AUTH_URL set on the API)"
    ),
    "algorithm_not_allowed": (
        "Token algorithm is not accepted for this key: HS256 with BETTER_AUTH_SECRET, or the algorithm of "
        "the Better Auth JWKS key its kid names"
    ),
    "bad_issuer": "Token issuer (iss) is not accepted",
    "bad_audience": "Token audience (aud) is not accepted",
    "missing_kid": "Token header names no key id (kid): Better Auth tokens carry the kid of a JWKS key",
    "unknown_kid": "Token key id (kid) is not in the JWKS published at BETTER_AUTH_URL",
    "missing_expiry": "Token has no expiry: add an exp claim",
    "invalid_expiry": "Token expiry (exp) is not a valid time",
    "missing_subject": "Token names no user: put the user id in sub (or user_id)",
    "invalid_subject": "Token user id (sub or user_id) must be 1 to 64 printable ASCII characters, no spaces",
    "subject_mismatch": "Token sub and user_id name different users",
    "invalid_session_claim": "Token sid is not a session id of this API",
    "unknown_user": "The account this token was issued for no longer exists: sign up or log in again",
    "session_ended": "The session of this token has ended (logged out or signed out elsewhere): log in again",
    "revoked": "This token was revoked (logged out): log in again",
}


def refusal_detail(reason: str) -> str:
    """The words for ``reason``; a missing required claim (``missing_<claim>``) names the claim."""
    detail = REFUSALS.get(reason)
    if detail is not None:
        return detail
    claim = reason.removeprefix("missing_")
    if claim != reason and claim.isidentifier() and claim.isascii():
        return f"Token has no {claim} claim"
    return AuthenticationFailed.default_detail


class TokenError(AuthenticationFailed):
    """A token was refused. ``reason`` is a short machine-readable cause, safe to log; ``detail`` defaults
    to its words in ``REFUSALS``."""

    def __init__(self, reason: str, detail: str | None = None, **context: Any) -> None:
        super().__init__(reason, detail or refusal_detail(reason), **context)


class ExpiredTokenError(TokenError):
    """A genuine token past its ``exp``: its own code, so a frontend refreshes instead of signing out."""

    code = "token_expired"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    # The identity: ``LOCAL_ISSUER`` for ours; the frontend's namespace (BETTER_AUTH_URL, else
    # ``FRONTEND_ISSUER``) for a frontend's HS256 and Better Auth's, which name one user by one id; and the
    # user's id there (``sub``). Accounts are keyed by the pair (docs/adr/0016-identities-per-issuer.md).
    issuer: str
    user_id: str
    email: str | None
    name: str | None
    token_id: str | None  # jti; None for tokens that carry none (Better Auth's)
    expires_at: datetime
    source: TokenSource
    # What logout stores to revoke exactly this token: its jti, else a digest of its signed part.
    revocation_key: str
    # The session it was issued in (``sid``: ours only; None for tokens that are not a session's).
    session_id: str | None = None


def looks_like_jwt(token: str) -> bool:
    """Compact JWS syntax within the length limit (says nothing of the signature)."""
    return len(token) <= MAX_TOKEN_LENGTH and _COMPACT_JWS.fullmatch(token) is not None


def unverified_header(token: str) -> dict[str, Any]:
    if not looks_like_jwt(token):
        raise TokenError("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    if not isinstance(header.get("alg"), str):
        raise TokenError("malformed")
    return header


def _string_claim(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _user_id(claims: dict[str, Any]) -> str:
    """``sub``, else ``user_id``; each must be a plausible id when present, and they must agree."""
    present = {name: claims[name] for name in ("sub", "user_id") if claims.get(name) is not None}
    for value in present.values():
        if not isinstance(value, str) or not _USER_ID.fullmatch(value):
            raise TokenError("invalid_subject")
    if len(set(present.values())) > 1:
        raise TokenError("subject_mismatch")
    if not present:
        raise TokenError("missing_subject")
    user_id: str = next(iter(present.values()))
    return user_id


def revocation_key(token: str, claims: dict[str, Any]) -> str:
    """``jti:<jti>``, or ``sig:<sha256 of header.payload>`` for tokens without a usable jti.

    The digest covers the signed part only: a signature can be re-encoded (spare base64 bits, ECDSA's
    (r, n-s)) without invalidating it, so hashing the whole string would let a revoked token back in.
    """
    jti = claims.get("jti")
    if isinstance(jti, str) and 0 < len(jti) <= MAX_JTI_LENGTH:
        return f"jti:{jti}"
    signed_part = token.rpartition(".")[0]
    return f"sig:{hashlib.sha256(signed_part.encode('ascii')).hexdigest()}"


def _session_id(claims: dict[str, Any]) -> str | None:
    """``sid`` when present: it must be a plausible session id (a token naming a bogus one is refused)."""
    sid = claims.get("sid")
    if sid is None:
        return None
    if not isinstance(sid, str) or not SESSION_ID_PATTERN.fullmatch(sid):
        raise TokenError("invalid_session_claim")
    return sid


def claims_to_token(claims: dict[str, Any], source: TokenSource, token: str, *, issuer: str) -> VerifiedToken:
    """The verified token of ``claims``, checked already by the key of ``issuer``."""
    user_id = _user_id(claims)
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise TokenError("missing_expiry")
    try:
        expires_at = datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        raise TokenError("invalid_expiry") from None
    return VerifiedToken(
        issuer=issuer,
        user_id=user_id,
        email=_string_claim(claims, "email"),
        name=_string_claim(claims, "name"),
        token_id=_string_claim(claims, "jti"),
        expires_at=expires_at,
        source=source,
        revocation_key=revocation_key(token, claims),
        session_id=_session_id(claims) if source == "api" else None,
    )


def decode_error_reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "not_yet_valid"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad_signature"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "algorithm_not_allowed"
    if isinstance(error, jwt.InvalidIssuerError):
        return "bad_issuer"
    if isinstance(error, jwt.InvalidAudienceError):
        return "bad_audience"
    if isinstance(error, InvalidSubjectError):
        return "invalid_subject"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing_{error.claim}"
    return "invalid"


def token_error(error: jwt.PyJWTError, *, signature_detail: str | None = None) -> TokenError:
    if isinstance(error, jwt.ExpiredSignatureError):
        return ExpiredTokenError("expired")
    reason = decode_error_reason(error)
    return TokenError(reason, signature_detail if reason == "bad_signature" else None)


def _duration(minutes: int) -> str:
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"


def check_lifetime(claims: dict[str, Any], max_minutes: int, now: float) -> None:
    """exp - iat, or exp - now for a token without iat, must not exceed ``max_minutes``: whoever holds the
    signing key chooses exp, so the API bounds it (docs/adr/0006-tokens.md). An old iat does not hide a long
    lifetime. PyJWT has checked that exp (and iat when present) convert to whole numbers, as it converts them.
    """
    max_seconds = max_minutes * 60
    expires = int(claims["exp"])
    if "iat" in claims:
        lifetime, allowed = expires - int(claims["iat"]), max_seconds
    else:  # a token issued a moment ago by a clock slightly ahead of ours
        lifetime, allowed = expires - int(now), max_seconds + LEEWAY_SECONDS
    if lifetime > allowed:
        raise TokenError(
            "lifetime_too_long",
            f"Token lifetime (exp - iat) is over the {_duration(max_minutes)} this API accepts: issue shorter "
            f"tokens, or raise FRONTEND_TOKEN_MAX_LIFETIME_MINUTES (now {max_minutes})",
        )
