"""Which key checks a token: the algorithm is never taken from the token alone.

Each key type has its own allow-list, so ``alg: none`` or an HS256 token "signed" with a public key's bytes
are refused (docs/adr/0006-tokens.md).
"""

from __future__ import annotations

from todo_shared.auth.claims import TokenError, VerifiedToken, claims_to_token, unverified_header
from todo_shared.auth.tokens import HMAC_ALGORITHMS, decode_hs256
from todo_shared.config.settings import DEFAULT_HS256_MAX_LIFETIME_MINUTES
from todo_shared.models import LOCAL_ISSUER


def verify_token(
    token: str,
    *,
    secret: str,
    better_auth_url: str | None,
    hs256_max_lifetime_minutes: int = DEFAULT_HS256_MAX_LIFETIME_MINUTES,
) -> VerifiedToken:
    """Verify ``token`` with the key its type allows; raise ``TokenError`` otherwise.

    HS256 tokens (ours, or signed with the shared secret) name local accounts; Better Auth's name users of
    ``better_auth_url``, whose ``iss`` they carry.
    """
    header = unverified_header(token)
    algorithm = header["alg"]
    if algorithm in HMAC_ALGORITHMS:
        claims = decode_hs256(token, secret, max_lifetime_minutes=hs256_max_lifetime_minutes)
        return claims_to_token(claims, "api", token, issuer=LOCAL_ISSUER)
    if better_auth_url is None:
        raise TokenError("unsupported_algorithm")
    # Imported on first use: its HTTP client costs cold-start time that deployments without Better Auth skip.
    from todo_shared.auth.better_auth import decode_better_auth

    claims = decode_better_auth(token, header, better_auth_url)
    return claims_to_token(claims, "better_auth", token, issuer=better_auth_url)
