"""FastAPI dependencies: the request's database session, and its authenticated user (not middleware).

The token comes from ``Authorization: Bearer …``, else from the auth cookie. A present Authorization header
that is not a well-formed Bearer credential is refused rather than falling back to the cookie, and the cookie
is not accepted on state-changing requests from a foreign ``Origin`` (docs/adr/0006-tokens.md). This module
must stay cheap to import for every function: no bcrypt here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from todo_shared.auth.claims import TokenError, VerifiedToken, looks_like_jwt
from todo_shared.auth.users import user_for_token
from todo_shared.auth.verify import verify_with_settings
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import session_scope
from todo_shared.errors import CrossSiteCookie, NotAuthenticated, OtherUsersPath
from todo_shared.http.cookies import AUTH_COOKIE
from todo_shared.models import User
from todo_shared.observability import current_request_id, logger

# Ended as the route returns, before its answer is serialised: no transaction stays open while JSON is built.
SessionDep = Annotated[Session, Depends(session_scope, scope="function")]

# Declares the bearer scheme in OpenAPI; the header is parsed below (auto_error's status varies by version).
bearer_scheme = HTTPBearer(
    auto_error=False,
    description=(
        "A JWT: the access_token of /api/auth/signup, /login or /refresh; one the frontend signs with the "
        "shared BETTER_AUTH_SECRET (HS256, user id in sub); or Better Auth's jwt plugin token."
    ),
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_credentials(header: str) -> str | None:
    """The token of ``Bearer <token>``, or None when the header is not of that form."""
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or " " in credentials:
        return None
    return credentials


def presents_bearer_token(request: Request) -> bool:
    """The request carries ``Authorization: Bearer <a compact JWT>`` (not necessarily a valid one): what a
    page of a foreign origin cannot make a browser send. An empty or garbage header proves nothing."""
    header = request.headers.get("authorization")
    credentials = _bearer_credentials(header) if header is not None else None
    return credentials is not None and looks_like_jwt(credentials)


def token_from_request(request: Request) -> str:
    """The raw token: the bearer header's, else the cookie's. Raises ``NotAuthenticated``/``TokenError``."""
    header = request.headers.get("authorization")
    if header is not None:
        credentials = _bearer_credentials(header)
        if credentials is None:
            raise TokenError("malformed_header")
        return credentials
    cookie = request.cookies.get(AUTH_COOKIE)
    if cookie:
        refuse_cross_site_cookie(request)
        return cookie
    raise NotAuthenticated()


def tokens_presented(request: Request) -> tuple[str, ...]:
    """Every raw token the request carries: the bearer header's and the cookie's (logout revokes both).

    The cookie's token is taken beside a bearer header without the cross-site check (a foreign page cannot
    send the header); alone it is checked as in ``token_from_request``.
    """
    first = token_from_request(request)
    cookie = request.cookies.get(AUTH_COOKIE)
    if request.headers.get("authorization") is not None and cookie and cookie != first:
        return (first, cookie)
    return (first,)


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
        extra={"reason": "cross_site_cookie", "path": request.url.path, "request_id": current_request_id()},
    )
    raise CrossSiteCookie()


def current_token(
    request: Request, _docs: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
) -> VerifiedToken:
    settings = get_settings()
    raw = token_from_request(request)
    return verify_with_settings(raw, settings)


# The verified token (signature and claims). Revocation and the user's existence are checked by
# ``CurrentUser``: authenticate with ``CurrentUser``, and add ``CurrentToken`` only to read the token.
CurrentToken = Annotated[VerifiedToken, Depends(current_token)]


def current_user(session: SessionDep, token: CurrentToken) -> User:
    return user_for_token(session=session, token=token)


CurrentUser = Annotated[User, Depends(current_user)]


def require_own_path(
    user_id: Annotated[
        str,
        Path(description="Your own user id, or your id at the frontend (`sub`); another user's gives 403."),
    ],
    user: CurrentUser,
) -> None:
    """The ``/api/{user_id}/…`` path style: a user id other than the caller's is refused.

    The caller's id is their account id or their id at their issuer (a frontend puts ``session.user.id``
    there): the two differ only for a frontend user whose id another account had.
    """
    if user_id not in (user.id, user.subject):
        raise OtherUsersPath()
