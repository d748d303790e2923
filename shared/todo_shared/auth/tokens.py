"""The HS256 tokens this API issues, and the check of every HS256 token it accepts.

Accepted: HS256 signed with ``BETTER_AUTH_SECRET`` (ours, or a frontend's; user id in ``sub`` or ``user_id``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError, token_error

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


def decode_hs256(token: str, secret: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=HMAC_ALGORITHMS,
            leeway=LEEWAY_SECONDS,
            # exp bounds every token; iat/nbf are checked when present. aud and iss belong to whoever
            # signed with the shared secret (ours: iss "todo-api"), so they are not pinned here.
            options={"require": ["exp"], "verify_aud": False},
        )
    except jwt.PyJWTError as error:
        raise token_error(error) from None
    except (ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    return dict(claims)
