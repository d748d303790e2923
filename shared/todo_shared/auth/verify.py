"""Which key checks a token, and which rules its kind follows: the algorithm is never taken from the token
alone (docs/adr/0006-tokens.md).

Each key type has its own allow-list, so ``alg: none`` or an HS256 token "signed" with a public key's bytes
are refused. HS256 tokens are ours (``iss`` ours) or a frontend's (any other); asymmetric ones Better Auth's.
"""

from __future__ import annotations

import time

from todo_shared.auth.claims import (
    TokenError,
    VerifiedToken,
    check_lifetime,
    claims_to_token,
    unverified_header,
)
from todo_shared.auth.tokens import HMAC_ALGORITHMS, check_frontend_claims, decode_hs256, is_ours
from todo_shared.config.settings import DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES, Settings
from todo_shared.models import FRONTEND_ISSUER, LOCAL_ISSUER


def frontend_issuer(better_auth_url: str | None) -> str:
    """The namespace of a frontend's users: its HS256 tokens and Better Auth's name one user by one id."""
    return better_auth_url or FRONTEND_ISSUER


def verify_token(
    token: str,
    *,
    secret: str,
    better_auth_url: str | None,
    max_lifetime_minutes: int = DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES,
    frontend_jwt_issuer: str | None = None,
    frontend_jwt_audience: str | None = None,
) -> VerifiedToken:
    """Verify ``token`` with the key its type allows and the rules of its kind; raise ``TokenError``
    (or ``KeysUnavailable`` when Better Auth's keys cannot be fetched now)."""
    header = unverified_header(token)
    algorithm = header["alg"]
    if algorithm in HMAC_ALGORITHMS:
        claims = decode_hs256(token, secret)
        check_lifetime(claims, max_lifetime_minutes, time.time())
        if is_ours(claims):
            return claims_to_token(claims, "api", token, issuer=LOCAL_ISSUER)
        check_frontend_claims(claims, issuer=frontend_jwt_issuer, audience=frontend_jwt_audience)
        return claims_to_token(claims, "frontend", token, issuer=frontend_issuer(better_auth_url))
    if better_auth_url is None:
        raise TokenError("unsupported_algorithm")
    # Imported on first use: its HTTP client costs cold-start time that deployments without Better Auth skip.
    from todo_shared.auth.better_auth import decode_better_auth

    claims = decode_better_auth(token, header, better_auth_url)
    check_lifetime(claims, max_lifetime_minutes, time.time())
    return claims_to_token(claims, "better_auth", token, issuer=frontend_issuer(better_auth_url))


def verify_with_settings(token: str, settings: Settings) -> VerifiedToken:
    return verify_token(
        token,
        secret=settings.better_auth_secret,
        better_auth_url=settings.better_auth_url,
        max_lifetime_minutes=settings.frontend_token_max_lifetime_minutes,
        frontend_jwt_issuer=settings.frontend_jwt_issuer,
        frontend_jwt_audience=settings.frontend_jwt_audience,
    )
