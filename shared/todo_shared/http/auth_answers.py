"""What the auth routes answer: the signed-in body with its cookies, and where a refresh token came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Body, Path, Request, Response

from todo_shared.auth.schemas import AuthResponse, RefreshRequest, SessionPublic, SessionsResponse
from todo_shared.auth.session_flows import ListedSession
from todo_shared.auth.sign_in import SignedIn
from todo_shared.auth.users import public_user
from todo_shared.errors import NotAuthenticated
from todo_shared.http.cookies import REFRESH_COOKIE, set_auth_cookie, set_refresh_cookie
from todo_shared.http.deps import presents_bearer_token, refuse_cross_site_cookie, tokens_presented

# Browsers send no body to /refresh (the cookie holds the token); other clients send {"refresh_token"}.
RefreshBody = Annotated[RefreshRequest | None, Body()]
SessionIdPath = Annotated[str, Path(max_length=64, description="A session id from GET /api/auth/sessions.")]


def source_address(request: Request) -> str | None:
    """API Gateway's ``sourceIp`` on AWS (Mangum's client), the peer locally; never ``X-Forwarded-For``."""
    return request.client.host if request.client else None


def signed_in(
    request: Request, response: Response, signed: SignedIn, message: str, *, refresh_in_body: bool
) -> AuthResponse:
    """The body and cookies of a sign-in or refresh: the refresh token in the body only when asked for."""
    set_auth_cookie(response, request, signed.token.token, signed.token.expires_at)
    if not refresh_in_body:
        set_refresh_cookie(response, request, signed.refresh_token, signed.session_expires_at)
    return AuthResponse(
        user=public_user(signed.user),
        token=signed.token.token,
        access_token=signed.token.token,
        expires_at=signed.token.expires_at,
        message=message,
        refresh_token=signed.refresh_token if refresh_in_body else None,
    )


@dataclass(frozen=True, slots=True)
class PresentedRefreshToken:
    value: str | None
    in_body: bool


def presented_refresh_token(request: Request, body: RefreshRequest | None) -> PresentedRefreshToken:
    """The body's refresh token, else the cookie's: only our frontends' pages may use the cookie, unless a
    well-formed bearer token comes with it (which a foreign page cannot send); an empty or garbage
    ``Authorization`` header does not count."""
    if body is not None and body.refresh_token is not None:
        return PresentedRefreshToken(body.refresh_token, in_body=True)
    cookie = request.cookies.get(REFRESH_COOKIE)
    if cookie and not presents_bearer_token(request):
        refuse_cross_site_cookie(request)
    return PresentedRefreshToken(cookie or None, in_body=False)


def presented_for_logout(request: Request) -> tuple[tuple[str, ...], str | None]:
    """The access tokens (header and cookie) and the refresh cookie a logout presents; 401 only for none."""
    refresh_token = presented_refresh_token(request, None).value
    try:
        return tokens_presented(request), refresh_token
    except NotAuthenticated:
        if refresh_token is None:
            raise
        return (), refresh_token


def sessions_response(listed: list[ListedSession]) -> SessionsResponse:
    return SessionsResponse(
        sessions=[
            SessionPublic(
                id=item.auth_session.id,
                created_at=item.auth_session.created_at,
                last_used_at=item.auth_session.last_used_at,
                user_agent=item.auth_session.user_agent,
                current=item.current,
            )
            for item in listed
        ]
    )
