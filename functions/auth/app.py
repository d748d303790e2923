"""The auth function: ``/api/auth`` accounts and sessions (rules in docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Request, Response

from todo_shared import errors
from todo_shared.auth import service, session_service
from todo_shared.auth.schemas import (
    AuthResponse,
    LoginRequest,
    MessageResponse,
    PasswordChangeRequest,
    RefreshRequest,
    SessionPublic,
    SessionsResponse,
    SignupRequest,
    VerifyResponse,
)
from todo_shared.auth.users import public_user
from todo_shared.config.settings import get_settings
from todo_shared.http.app_factory import create_app
from todo_shared.http.auth_answers import presented_refresh_token, signed_in
from todo_shared.http.cookies import clear_auth_cookie, clear_refresh_cookie
from todo_shared.http.deps import CurrentToken, CurrentUser, SessionDep, tokens_presented
from todo_shared.http.openapi import error_responses
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _source(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/signup",
    status_code=201,
    summary="Create an account and sign in",
    responses=error_responses(errors.EmailTaken),
)
def signup(body: SignupRequest, request: Request, response: Response, session: SessionDep) -> AuthResponse:
    signed = service.sign_up(
        session=session,
        email=body.email,
        password=body.password,
        name=body.name,
        user_agent=request.headers.get("user-agent"),
        settings=get_settings(),
    )
    return signed_in(
        request, response, signed, "Account created successfully", refresh_in_body=body.refresh_token_in_body
    )


@router.post(
    "/login",
    summary="Sign in with email and password",
    responses=error_responses(errors.InvalidCredentials, errors.TooManyAttempts),
)
def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> AuthResponse:
    signed = service.log_in(
        session=session,
        email=body.email,
        password=body.password,
        source_address=_source(request),
        user_agent=request.headers.get("user-agent"),
        settings=get_settings(),
    )
    return signed_in(
        request, response, signed, "Login successful", refresh_in_body=body.refresh_token_in_body
    )


@router.post(
    "/refresh",
    summary="Rotate the refresh token: a new access token and a new refresh token",
    responses=error_responses(errors.InvalidRefreshToken, errors.RefreshTokenReused, errors.CrossSiteCookie),
)
def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
) -> AuthResponse:
    presented = presented_refresh_token(request, body)
    signed = session_service.refresh(session=session, raw_token=presented.value, settings=get_settings())
    return signed_in(request, response, signed, "Session refreshed", refresh_in_body=presented.in_body)


@router.post(
    "/logout",
    summary="End this session: every presented token (header and cookies) stops working",
    responses=error_responses(errors.AuthenticationFailed, errors.CrossSiteCookie),
)
def logout(request: Request, response: Response, session: SessionDep) -> MessageResponse:
    refresh_token = presented_refresh_token(request, None).value
    try:
        raw_tokens = tokens_presented(request)  # 401 only when no token is presented at all
    except errors.NotAuthenticated:
        if refresh_token is None:
            raise
        raw_tokens = ()
    clear_auth_cookie(response, request)
    clear_refresh_cookie(response, request)
    session_service.log_out(
        session=session, raw_tokens=raw_tokens, refresh_token=refresh_token, settings=get_settings()
    )
    return MessageResponse(message="Logged out successfully")


@router.post(
    "/logout-all",
    summary="End every session of this user",
    responses=error_responses(errors.AuthenticationFailed),
)
def logout_all(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, token: CurrentToken
) -> MessageResponse:
    session_service.log_out_everywhere(session=session, user=user, token=token)
    clear_auth_cookie(response, request)
    clear_refresh_cookie(response, request)
    return MessageResponse(message="Logged out of every session")


@router.get(
    "/sessions", summary="The user's active sessions", responses=error_responses(errors.AuthenticationFailed)
)
def list_sessions(session: SessionDep, user: CurrentUser, token: CurrentToken) -> SessionsResponse:
    listed = session_service.list_sessions(session=session, user=user, token=token)
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


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="End one of the user's sessions",
    responses=error_responses(errors.AuthenticationFailed, errors.SessionNotFound),
)
def end_session(
    session_id: Annotated[str, Path(max_length=64)], session: SessionDep, user: CurrentUser
) -> None:
    session_service.end_session(session=session, user=user, session_id=session_id)


@router.put(
    "/password",
    summary="Change the password; every other session ends",
    responses=error_responses(errors.InvalidCredentials, errors.TooManyAttempts),
)
def change_password(
    body: PasswordChangeRequest, request: Request, session: SessionDep, user: CurrentUser, token: CurrentToken
) -> MessageResponse:
    session_service.change_password(
        session=session,
        user=user,
        token=token,
        current_password=body.current_password,
        new_password=body.new_password,
        source_address=_source(request),
        settings=get_settings(),
    )
    return MessageResponse(message="Password changed; other sessions were ended")


@router.get(
    "/verify",
    summary="Check the token and return its user",
    responses=error_responses(errors.AuthenticationFailed),
)
def verify(user: CurrentUser, token: CurrentToken) -> VerifyResponse:
    return VerifyResponse(user=public_user(user), expires_at=token.expires_at)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
