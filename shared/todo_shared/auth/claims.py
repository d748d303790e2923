"""What every accepted token comes down to, whoever signed it: ``VerifiedToken``, or a ``TokenError``.

Shared by our HS256 tokens (``todo_shared.auth.tokens``) and Better Auth's (``todo_shared.auth.better_auth``).
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

LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 8192
MAX_JTI_LENGTH = 64
# Compact JWS: three base64url segments (the signature may be empty only for alg "none", refused later).
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
# User ids: ours are UUIDs, Better Auth's 32 alphanumerics; anything printable without spaces, bounded.
_USER_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")

TokenSource = Literal["api", "better_auth"]


class TokenError(AuthenticationFailed):
    """A token was refused. ``reason`` is a short machine-readable cause, safe to log."""


class ExpiredTokenError(TokenError):
    """A genuine token past its ``exp``: its own code, so a frontend refreshes instead of signing out."""

    code = "token_expired"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    # The identity: who signed (``LOCAL_ISSUER`` for HS256 tokens, the Better Auth origin for Better Auth's)
    # and the user's id there (``sub``). Accounts are keyed by the pair (docs/adr/0016-identities-per-issuer.md).
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


def unverified_header(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_LENGTH or not _COMPACT_JWS.match(token):
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
        if not isinstance(value, str) or not _USER_ID.match(value):
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
    if not isinstance(sid, str) or not _SESSION_ID.match(sid):
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


def token_error(error: jwt.PyJWTError) -> TokenError:
    if isinstance(error, jwt.ExpiredSignatureError):
        return ExpiredTokenError("expired", "Token expired. Please log in again")
    return TokenError(decode_error_reason(error))
