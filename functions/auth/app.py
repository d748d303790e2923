"""The auth function: ``/api/auth`` signup, login, logout and verify (rules in docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from todo_shared import errors
from todo_shared.auth import service
from todo_shared.auth.schemas import (
    AuthResponse,
    LoginRequest,
    MessageResponse,
    SignupRequest,
    VerifyResponse,
)
from todo_shared.auth.users import public_user
from todo_shared.config.settings import get_settings
from todo_shared.http.app_factory import create_app
from todo_shared.http.cookies import clear_auth_cookie, set_auth_cookie
from todo_shared.http.deps import CurrentToken, CurrentUser, SessionDep, tokens_presented
from todo_shared.http.openapi import error_responses
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter(prefix="/api/auth", tags=["auth"])


def signed_in(request: Request, response: Response, signed: service.SignedIn, message: str) -> AuthResponse:
    set_auth_cookie(response, request, signed.token.token, signed.token.expires_at)
    return AuthResponse(
        user=public_user(signed.user),
        token=signed.token.token,
        expires_at=signed.token.expires_at,
        message=message,
    )


def source_address(request: Request) -> str | None:
    """API Gateway's ``sourceIp`` on AWS (Mangum's client), the peer locally; never ``X-Forwarded-For``."""
    return request.client.host if request.client else None


@router.post(
    "/signup",
    status_code=201,
    summary="Create an account and sign in",
    responses=error_responses(errors.EmailTaken, errors.TooManySignups),
)
def signup(body: SignupRequest, request: Request, response: Response, session: SessionDep) -> AuthResponse:
    signed = service.sign_up(
        session=session,
        email=body.email,
        password=body.password,
        name=body.name,
        source_address=source_address(request),
        settings=get_settings(),
    )
    return signed_in(request, response, signed, "Account created successfully")


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
        source_address=source_address(request),
        settings=get_settings(),
    )
    return signed_in(request, response, signed, "Login successful")


@router.post(
    "/logout",
    summary="Revoke every presented token (header and cookie) and clear the auth cookie",
    responses=error_responses(errors.AuthenticationFailed, errors.CrossSiteCookie),
)
def logout(request: Request, response: Response, session: SessionDep) -> MessageResponse:
    raw_tokens = tokens_presented(request)  # 401 only when no token is presented at all
    clear_auth_cookie(response, request)
    service.log_out(session=session, raw_tokens=raw_tokens, settings=get_settings())
    return MessageResponse(message="Logged out successfully")


@router.get(
    "/verify",
    summary="Check the token and return its user",
    responses=error_responses(errors.AuthenticationFailed),
)
def verify(user: CurrentUser, token: CurrentToken) -> VerifyResponse:
    return VerifyResponse(user=public_user(user), expires_at=token.expires_at)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
