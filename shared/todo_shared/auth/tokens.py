"""The HS256 tokens this API issues, and the check of every HS256 token it accepts.

Two kinds share the algorithm and ``BETTER_AUTH_SECRET`` (docs/adr/0006-tokens.md): ours carry ``iss`` =
``ISSUER``; any other (no ``iss``, or another) is a frontend's, minted with the shared secret, user id in
``sub`` or ``user_id``, ``iss``/``aud`` checked only when the operator pins them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from todo_shared.auth.claims import LEEWAY_SECONDS, REFUSALS, TokenError, token_error
from todo_shared.config.settings import API_ISSUER

# Our tokens' iss: one constant for every function and deployment (the secret, not the issuer, is what sets
# one stack's tokens apart from another's).
ISSUER = API_ISSUER
HMAC_ALGORITHMS = ["HS256"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime


def issue_token(
    *,
    user_id: str,
    email: str | None,
    secret: str,
    session_id: str | None = None,
    expires_minutes: int,
    now: datetime | None = None,
) -> IssuedToken:
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = issued + timedelta(minutes=expires_minutes)
    token_id = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "sub": user_id,
        "user_id": user_id,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": token_id,
        "iss": ISSUER,
    }
    if email is not None:
        claims["email"] = email
    if session_id is not None:  # the session it belongs to; tools mint tokens without one
        claims["sid"] = session_id
    return IssuedToken(jwt.encode(claims, secret, algorithm="HS256"), token_id, expires)


def decode_hs256(token: str, secret: str) -> dict[str, Any]:
    """Verify an HS256 token's signature, ``exp`` (required), ``iat``/``nbf`` (when present); raise
    ``TokenError`` otherwise. Issuer, audience and lifetime depend on the kind: ``is_ours`` tells."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=HMAC_ALGORITHMS,
            leeway=LEEWAY_SECONDS,
            # aud is checked by kind (check_frontend_claims): PyJWT would refuse any token carrying one.
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.PyJWTError as error:
        raise token_error(error, signature_detail=REFUSALS["bad_signature"]) from None
    except (ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    if "iss" in claims and (not isinstance(claims["iss"], str) or not claims["iss"]):
        raise TokenError("bad_issuer", "Token issuer (iss) must be a non-empty string when present")
    return dict(claims)


def is_ours(claims: dict[str, Any]) -> bool:
    return claims.get("iss") == ISSUER


def check_frontend_claims(claims: dict[str, Any], *, issuer: str | None, audience: str | None) -> None:
    """A frontend's token: ``iss``/``aud`` must equal FRONTEND_JWT_ISSUER/AUDIENCE when those are set."""
    if issuer is not None and claims.get("iss") != issuer:
        reason = "missing_iss" if "iss" not in claims else "bad_issuer"
        raise TokenError(reason, "Token issuer (iss) must equal the API's FRONTEND_JWT_ISSUER")
    if audience is None:
        return
    aud = claims.get("aud")
    if aud is None:
        raise TokenError("missing_aud", "Token audience (aud) must include the API's FRONTEND_JWT_AUDIENCE")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise TokenError("bad_audience", "Token audience (aud) must include the API's FRONTEND_JWT_AUDIENCE")
