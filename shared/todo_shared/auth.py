"""Authentication as a FastAPI dependency (not middleware): ``CurrentUser`` and ``CurrentToken``.

The token comes from ``Authorization: Bearer …``, else from the auth cookie. A present Authorization header
that is not a well-formed Bearer credential is refused rather than falling back to the cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from todo_shared.dependencies import SessionDep
from todo_shared.errors import ApiError
from todo_shared.models import User
from todo_shared.observability import logger
from todo_shared.settings import get_settings
from todo_shared.tokens import TokenError, VerifiedToken, verify_token

AUTH_COOKIE = "todo_auth"

# Declares the bearer scheme in OpenAPI; the header is parsed below (auto_error's status varies by version).
bearer_scheme = HTTPBearer(
    auto_error=False, description="A JWT from /api/auth/login or Better Auth's jwt plugin."
)


def auth_failure(reason: str, request: Request, detail: str = "Invalid authentication token") -> ApiError:
    """Log the refusal for security monitoring (reason and request, never the token) and build the 401."""
    logger.info("authentication refused", extra={"reason": reason, "path": request.url.path})
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
        return cookie
    raise auth_failure("missing", request, "Authentication required")


def current_token(
    request: Request, _docs: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
) -> VerifiedToken:
    raw = token_from_request(request)
    settings = get_settings()
    try:
        verified = verify_token(
            raw, secret=settings.better_auth_secret, better_auth_url=settings.better_auth_url
        )
    except TokenError as error:
        raise auth_failure(error.reason, request, error.detail) from None
    return verified


CurrentToken = Annotated[VerifiedToken, Depends(current_token)]


def current_user(request: Request, session: SessionDep, token: CurrentToken) -> User:
    user = session.get(User, token.user_id)
    if user is None:
        raise auth_failure("unknown_user", request)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
