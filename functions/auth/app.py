"""The auth function: ``/api/auth`` accounts and sessions (rules in docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from todo_shared import errors
from todo_shared.auth import schemas, session_flows, sign_in
from todo_shared.auth.users import public_user
from todo_shared.config.settings import get_settings
from todo_shared.http import auth_answers
from todo_shared.http.app_factory import create_app
from todo_shared.http.auth_answers import signed_in, source_address
from todo_shared.http.cookies import clear_session_cookies
from todo_shared.http.deps import CurrentToken, CurrentUser, SessionDep
from todo_shared.http.openapi import error_responses
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter(prefix="/api/auth", tags=["auth"])
TOKEN_REFUSED = error_responses(errors.AuthenticationFailed)


@router.post(
    "/signup",
    status_code=201,
    summary="Create an account and sign in",
    responses=error_responses(errors.EmailTaken, errors.TooManySignups),
)
def signup(
    body: schemas.SignupRequest, request: Request, response: Response, session: SessionDep
) -> schemas.AuthResponse:
    signed = sign_in.sign_up(
        session=session,
        email=body.email,
        password=body.password,
        name=body.name,
        source_address=source_address(request),
        user_agent=request.headers.get("user-agent"),
        settings=get_settings(),
    )
    message = "Account created successfully"
    return signed_in(request, response, signed, message, refresh_in_body=body.refresh_token_in_body)


@router.post(
    "/login",
    summary="Sign in with email and password",
    responses=error_responses(errors.InvalidCredentials, errors.TooManyAttempts),
)
def login(
    body: schemas.LoginRequest, request: Request, response: Response, session: SessionDep
) -> schemas.AuthResponse:
    signed = sign_in.log_in(
        session=session,
        email=body.email,
        password=body.password,
        source_address=source_address(request),
        user_agent=request.headers.get("user-agent"),
        settings=get_settings(),
    )
    message = "Login successful"
    return signed_in(request, response, signed, message, refresh_in_body=body.refresh_token_in_body)


@router.post(
    "/refresh",
    summary="Rotate the refresh token: a new access token and a new refresh token",
    responses=error_responses(errors.InvalidRefreshToken, errors.RefreshTokenReused, errors.CrossSiteCookie),
)
def refresh(
    request: Request, response: Response, session: SessionDep, body: auth_answers.RefreshBody = None
) -> schemas.AuthResponse:
    presented = auth_answers.presented_refresh_token(request, body)
    signed = session_flows.refresh(session=session, raw_token=presented.value, settings=get_settings())
    return signed_in(request, response, signed, "Session refreshed", refresh_in_body=presented.in_body)


@router.post(
    "/logout",
    summary="End this session: every presented token (header and cookies) stops working",
    responses=error_responses(errors.AuthenticationFailed, errors.CrossSiteCookie),
)
def logout(request: Request, response: Response, session: SessionDep) -> schemas.MessageResponse:
    raw_tokens, refresh_token = auth_answers.presented_for_logout(request)
    clear_session_cookies(response, request)
    settings = get_settings()
    session_flows.log_out(
        session=session, raw_tokens=raw_tokens, refresh_token=refresh_token, settings=settings
    )
    return schemas.MessageResponse(message="Logged out successfully")


@router.post("/logout-all", summary="End every session of this user", responses=TOKEN_REFUSED)
def logout_all(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, token: CurrentToken
) -> schemas.MessageResponse:
    session_flows.log_out_everywhere(session=session, user=user, token=token)
    clear_session_cookies(response, request)
    return schemas.MessageResponse(message="Logged out of every session")


@router.get("/sessions", summary="The user's active sessions", responses=TOKEN_REFUSED)
def list_sessions(session: SessionDep, user: CurrentUser, token: CurrentToken) -> schemas.SessionsResponse:
    return auth_answers.sessions_response(
        session_flows.list_sessions(session=session, user=user, token=token)
    )


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    summary="End one of the user's sessions",
    responses=error_responses(errors.AuthenticationFailed, errors.SessionNotFound),
)
def end_session(session_id: auth_answers.SessionIdPath, session: SessionDep, user: CurrentUser) -> None:
    session_flows.end_session(session=session, user=user, session_id=session_id)


@router.put(
    "/password",
    summary="Change the password; every other session ends",
    responses=error_responses(errors.AuthenticationFailed, errors.InvalidCredentials, errors.TooManyAttempts),
)
def change_password(
    body: schemas.PasswordChangeRequest,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    token: CurrentToken,
) -> schemas.MessageResponse:
    session_flows.change_password(
        session=session,
        user=user,
        token=token,
        current_password=body.current_password,
        new_password=body.new_password,
        source_address=source_address(request),
        settings=get_settings(),
    )
    return schemas.MessageResponse(message="Password changed; other sessions were ended")


@router.get("/verify", summary="Check the token and return its user", responses=TOKEN_REFUSED)
def verify(user: CurrentUser, token: CurrentToken) -> schemas.VerifyResponse:
    return schemas.VerifyResponse(user=public_user(user), expires_at=token.expires_at)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
