"""Authentication as a FastAPI dependency (not middleware): ``CurrentUser`` and ``CurrentToken``.

The token comes from ``Authorization: Bearer …``, else from the auth cookie. A present Authorization header
that is not a well-formed Bearer credential is refused rather than falling back to the cookie. The cookie is
not accepted on state-changing requests from a foreign ``Origin`` (CSRF; see ``refuse_cross_site_cookie``).

``CurrentUser`` also refuses revoked (logged-out) tokens and tokens of users that no longer exist, and gives
a user first seen through a Better Auth token a ``users`` row from its claims. If that token's email already
belongs to another account the request is refused with 409 and never merged: Better Auth emails are often
unverified, and merging would hand one person's tasks to another.

Every refusal is logged with a reason and the request id, never the token. This module must stay cheap to
import for every function: no bcrypt here (see ``todo_shared.passwords``).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from todo_shared.dependencies import SessionDep
from todo_shared.errors import ApiError
from todo_shared.models import User
from todo_shared.observability import logger
from todo_shared.revocation import is_revoked, revoked_clause
from todo_shared.settings import get_settings
from todo_shared.tokens import TokenError, VerifiedToken, verify_token
from todo_shared.user_fields import clean_name, is_valid_email, mask_email, normalize_email

AUTH_COOKIE = "todo_auth"

# Declares the bearer scheme in OpenAPI; the header is parsed below (auto_error's status varies by version).
bearer_scheme = HTTPBearer(
    auto_error=False, description="A JWT from /api/auth/login or Better Auth's jwt plugin."
)


def request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def auth_failure(
    reason: str,
    request: Request,
    detail: str = "Invalid authentication token",
    **context: Any,
) -> ApiError:
    """Log the refusal for security monitoring (reason and request, never the token) and build the 401."""
    logger.info(
        "authentication refused",
        extra={"reason": reason, "path": request.url.path, "request_id": request_id(request), **context},
    )
    code = "not_authenticated" if reason == "missing" else "invalid_token"
    return ApiError(401, code, detail)


def token_from_request(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials or " " in credentials:
            raise auth_failure("malformed_header", request)
        return credentials
    cookie = request.cookies.get(AUTH_COOKIE)
    if cookie:
        refuse_cross_site_cookie(request)
        return cookie
    raise auth_failure("missing", request, "Authentication required")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_cross_site_cookie(request: Request) -> None:
    """CSRF guard for the cookie (``SameSite=None`` over HTTPS, so browsers send it cross-site).

    A state-changing request authenticated by the cookie must not come from a page of a foreign origin:
    browsers send ``Origin`` on such requests, and it must be one of ``FRONTEND_URL``'s. Requests without
    ``Origin`` (curl, servers) cannot be forged by a browser page and pass; a bearer header needs no guard.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None or origin.rstrip("/") in get_settings().frontend_origins:
        return
    logger.warning(
        "cookie refused on a cross-site request",
        extra={"reason": "cross_site_cookie", "path": request.url.path, "request_id": request_id(request)},
    )
    raise ApiError(403, "cross_site_request", "Cross-site requests cannot use the auth cookie.")


def verify_with_settings(raw: str) -> VerifiedToken:
    """Verify ``raw`` with the configured keys (signature and claims; not revocation). ``TokenError``."""
    settings = get_settings()
    return verify_token(raw, secret=settings.better_auth_secret, better_auth_url=settings.better_auth_url)


def current_token(
    request: Request, _docs: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
) -> VerifiedToken:
    raw = token_from_request(request)
    try:
        verified = verify_with_settings(raw)
    except TokenError as error:
        raise auth_failure(error.reason, request, error.detail) from None
    return verified


# The verified token (signature and claims). Revocation and the user's existence are checked by
# ``CurrentUser``: authenticate with ``CurrentUser``, and add ``CurrentToken`` only to read the token.
CurrentToken = Annotated[VerifiedToken, Depends(current_token)]


def provision_better_auth_user(request: Request, session: Session, token: VerifiedToken) -> User:
    """Create the ``users`` row of a Better Auth user seen for the first time (no password)."""
    email = normalize_email(token.email or "")
    if not is_valid_email(email):
        raise auth_failure("invalid_email_claim", request, user_id=token.user_id)
    user = User(id=token.user_id, email=email, name=clean_name(token.name), password_hash=None)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.get(User, token.user_id)
        if existing is not None:  # a concurrent first request created it
            return existing
        logger.warning(
            "Better Auth user refused: email belongs to another account",
            extra={
                "reason": "email_owned_by_other_account",
                "user_id": token.user_id,
                "email": mask_email(email),
                "request_id": request_id(request),
            },
        )
        raise ApiError(
            409,
            "account_conflict",
            "This email address already belongs to another account; sign in with that account.",
        ) from None
    logger.info("Better Auth user provisioned", extra={"user_id": user.id, "request_id": request_id(request)})
    return user


def current_user(request: Request, session: SessionDep, token: CurrentToken) -> User:
    row = session.exec(
        select(User, revoked_clause(token.revocation_key)).where(User.id == token.user_id)
    ).first()
    if row is None:
        if is_revoked(session, token.revocation_key):
            raise auth_failure("revoked", request, user_id=token.user_id)
        if token.source == "better_auth":
            return provision_better_auth_user(request, session, token)
        raise auth_failure("unknown_user", request, user_id=token.user_id)
    user, revoked = row
    if revoked:
        raise auth_failure("revoked", request, user_id=token.user_id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


# --- The auth cookie -------------------------------------------------------------------------------------


def _cookie_attributes(request: Request) -> list[str]:
    """HttpOnly always. Over HTTPS (API Gateway) the frontend is cross-site: ``SameSite=None; Secure``, and
    ``Partitioned`` (CHIPS) so browsers that block third-party cookies keep it per frontend site. On
    plain-http localhost, ``SameSite=Lax`` without ``Secure`` (browsers drop ``SameSite=None`` without it).
    """
    attributes = ["Path=/", "HttpOnly"]
    if request.url.scheme == "https":
        attributes += ["Secure", "SameSite=None", "Partitioned"]
    else:
        attributes.append("SameSite=Lax")
    return attributes


def set_auth_cookie(response: Response, request: Request, token: str, expires_at: datetime) -> None:
    """Set the auth cookie to ``token`` (a compact JWT: cookie-safe characters only) until ``expires_at``."""
    max_age = max(0, int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds()))
    cookie = "; ".join(
        [
            f"{AUTH_COOKIE}={token}",
            f"Max-Age={max_age}",
            f"Expires={format_datetime(expires_at, usegmt=True)}",
            *_cookie_attributes(request),
        ]
    )
    response.headers.append("set-cookie", cookie)


def clear_auth_cookie(response: Response, request: Request) -> None:
    cookie = "; ".join(
        [
            f"{AUTH_COOKIE}=",
            "Max-Age=0",
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            *_cookie_attributes(request),
        ]
    )
    response.headers.append("set-cookie", cookie)
