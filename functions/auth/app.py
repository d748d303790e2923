"""The auth function: ``/api/auth`` signup, login, logout and verify (design.md).

- Passwords: bcrypt (``todo_shared.passwords``); the 72-byte limit is a 400 at signup and "invalid
  credentials" at login. Emails are stored normalised (trimmed, lower-case) and unique case-insensitively by
  the database's index, so concurrent signups with one email give one 201 and 409s.
- Tokens: HS256 from ``todo_shared.tokens``, in the body and in an HttpOnly cookie.
- Login: throttled per email and per source address with counters in the database
  (``todo_shared.login_throttle``); an unknown email costs one bcrypt check, like a wrong password.
- Logout: revokes the presented token in the database until it would have expired, clears the cookie, and
  answers 200 for any presented token, already revoked or not usable (as OAuth token revocation does).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, field_validator
from sqlalchemy import func
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from todo_shared import login_throttle, revocation
from todo_shared.app_factory import create_app
from todo_shared.auth import (
    CurrentToken,
    CurrentUser,
    clear_auth_cookie,
    request_id,
    set_auth_cookie,
    token_from_request,
    verify_with_settings,
)
from todo_shared.dependencies import SessionDep
from todo_shared.errors import ApiError, ErrorBody
from todo_shared.lambda_handler import make_lambda_handler
from todo_shared.models import User, UserPublic, utc_now
from todo_shared.observability import logger
from todo_shared.passwords import hash_password, password_problem, verify_password
from todo_shared.settings import get_settings
from todo_shared.tokens import TokenError, issue_token
from todo_shared.user_fields import is_valid_email, mask_email, name_problem, normalize_email

# Expired revocations and throttle windows are deleted by about one request in PRUNE_ONE_IN.
PRUNE_ONE_IN = 32

router = APIRouter(prefix="/api/auth", tags=["auth"])


# --- Shapes -----------------------------------------------------------------------------------------------


class SignupRequest(BaseModel):
    email: str
    password: str
    name: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        email = normalize_email(value)
        if not is_valid_email(email):
            raise ValueError("Enter a valid email address")
        return email

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = name_problem(value.strip())
        if problem is not None:
            raise ValueError(problem)
        return value.strip()


class LoginRequest(BaseModel):
    email: str
    password: str


class AuthResponse(BaseModel):
    user: UserPublic
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_at: datetime
    message: str


class VerifyResponse(BaseModel):
    user: UserPublic
    expires_at: datetime


class MessageResponse(BaseModel):
    message: str


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, invalid, expired or revoked token."}
}


# --- Helpers ----------------------------------------------------------------------------------------------


def public_user(user: User) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, name=user.name, created_at=user.created_at)


def authenticated(request: Request, response: Response, user: User, message: str) -> AuthResponse:
    settings = get_settings()
    issued = issue_token(
        user_id=user.id,
        email=user.email,
        secret=settings.better_auth_secret,
        expires_minutes=settings.jwt_expires_minutes,
    )
    set_auth_cookie(response, request, issued.token, issued.expires_at)
    return AuthResponse(
        user=public_user(user), token=issued.token, expires_at=issued.expires_at, message=message
    )


def prune_occasionally(session: Session, prune: Callable[[Session, datetime], int]) -> None:
    """Delete expired state now and then, in its own transaction; a failure here never fails the request."""
    if secrets.randbelow(PRUNE_ONE_IN):
        return
    try:
        prune(session, utc_now())
        session.commit()
    except DBAPIError:
        session.rollback()
        logger.warning("pruning expired auth state failed", extra={"prune": getattr(prune, "__module__", "")})


# --- Routes -----------------------------------------------------------------------------------------------


@router.post(
    "/signup",
    status_code=201,
    summary="Create an account and sign in",
    responses={409: {"model": ErrorBody, "description": "The email is already registered."}},
)
def signup(body: SignupRequest, request: Request, response: Response, session: SessionDep) -> AuthResponse:
    # Hash before touching the database: no connection is held during bcrypt.
    password_hash = hash_password(body.password, get_settings().bcrypt_rounds)
    user = User(email=body.email, name=body.name, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the unique index on lower(email), also when two signups race
        session.rollback()
        logger.info(
            "signup refused",
            extra={
                "reason": "email_taken",
                "email": mask_email(body.email),
                "request_id": request_id(request),
            },
        )
        raise ApiError(409, "email_taken", "This email is already registered") from None
    logger.info("signed up", extra={"user_id": user.id, "request_id": request_id(request)})
    return authenticated(request, response, user, "Account created successfully")


@router.post(
    "/login",
    summary="Sign in with email and password",
    responses={
        401: {"model": ErrorBody, "description": "Invalid email or password."},
        429: {
            "model": ErrorBody,
            "description": "Too many failed or simultaneous attempts for this email or address (see Retry-After).",
        },
    },
)
def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> AuthResponse:
    settings = get_settings()
    email = normalize_email(body.email)
    source = request.client.host if request.client else None
    keys = login_throttle.throttle_keys(email, source)
    attempt = login_throttle.reserve(session, keys, utc_now())
    user: User | None = None
    if attempt.retry_after_seconds is None and is_valid_email(email):
        user = session.exec(select(User).where(func.lower(col(User.email)) == email)).first()
    session.commit()  # the reservation counts from now on; no transaction stays open during bcrypt
    log_context = {"email": mask_email(email), "request_id": request_id(request)}

    if attempt.retry_after_seconds is not None:
        login_throttle.release(session, attempt)
        session.commit()
        logger.warning("login throttled", extra={"reason": "too_many_failures", **log_context})
        raise ApiError(
            429,
            "too_many_attempts",
            "Too many login attempts. Please try again later.",
            headers={"Retry-After": str(attempt.retry_after_seconds)},
        )

    # Exactly one bcrypt check in every case: an unknown email is checked against a dummy hash.
    stored_hash = user.password_hash if user is not None else None
    valid = verify_password(body.password, stored_hash, settings.bcrypt_rounds)
    if user is None or not valid:
        if user is None:
            reason = "unknown_email"
        else:
            reason = "no_password" if stored_hash is None else "wrong_password"
        logger.info("login failed", extra={"reason": reason, **log_context})
        prune_occasionally(session, login_throttle.prune_expired)
        raise ApiError(401, "invalid_credentials", "Invalid email or password")

    login_throttle.succeeded(session, attempt)
    session.commit()
    logger.info("logged in", extra={"user_id": user.id, "request_id": request_id(request)})
    return authenticated(request, response, user, "Login successful")


@router.post(
    "/logout",
    summary="Revoke the presented token and clear the auth cookie",
    responses={
        **UNAUTHORIZED,
        403: {"model": ErrorBody, "description": "The auth cookie was sent from a foreign Origin."},
    },
)
def logout(request: Request, response: Response, session: SessionDep) -> MessageResponse:
    raw = token_from_request(request)  # 401 only when no token is presented at all
    clear_auth_cookie(response, request)
    try:
        token = verify_with_settings(raw)
    except TokenError as error:
        # Nothing to revoke: the token cannot be used anyway (expired, malformed, …).
        logger.info(
            "logout without a usable token", extra={"reason": error.reason, "request_id": request_id(request)}
        )
        return MessageResponse(message="Logged out successfully")
    revocation.revoke(session, token, utc_now())
    session.commit()
    logger.info("logged out", extra={"user_id": token.user_id, "request_id": request_id(request)})
    prune_occasionally(session, revocation.prune_expired)
    return MessageResponse(message="Logged out successfully")


@router.get("/verify", summary="Check the token and return its user", responses=UNAUTHORIZED)
def verify(user: CurrentUser, token: CurrentToken) -> VerifyResponse:
    return VerifyResponse(user=public_user(user), expires_at=token.expires_at)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
