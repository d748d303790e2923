"""The account sequences: sign up, log in, log out (the design is in docs/adr/0007-login-throttling.md).

Only the auth function imports this module: it loads bcrypt, which the tasks function must not pay for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from todo_shared.auth import revocation, throttle
from todo_shared.auth.claims import TokenError
from todo_shared.auth.passwords import check_password, hash_password, rehash_password
from todo_shared.auth.tokens import IssuedToken, issue_token
from todo_shared.auth.user_fields import is_valid_email, mask_email, normalize_email
from todo_shared.auth.users import find_for_login
from todo_shared.auth.verify import verify_token
from todo_shared.config.settings import Settings
from todo_shared.errors import EmailTaken, InvalidCredentials, TooManyAttempts
from todo_shared.models import User, utc_now
from todo_shared.observability import current_request_id, logger

# Expired revocations and throttle windows are deleted by about one request in PRUNE_ONE_IN.
PRUNE_ONE_IN = 32


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    token: IssuedToken


def _signed_in(user: User, settings: Settings) -> SignedIn:
    token = issue_token(
        user_id=user.id,
        email=user.email,
        secret=settings.better_auth_secret,
        expires_minutes=settings.jwt_expires_minutes,
    )
    return SignedIn(user, token)


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


def sign_up(*, session: Session, email: str, password: str, name: str | None, settings: Settings) -> SignedIn:
    """Create a local account (``email`` normalised and valid, ``password`` within the rules)."""
    # Hash before touching the database: no connection is held during bcrypt.
    password_hash = hash_password(password, settings.bcrypt_rounds)
    user = User(email=email, name=name, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the unique index on lower(email), also when two signups race
        session.rollback()
        logger.info(
            "signup refused",
            extra={"reason": "email_taken", "email": mask_email(email), "request_id": current_request_id()},
        )
        raise EmailTaken() from None
    logger.info("signed up", extra={"user_id": user.id, "request_id": current_request_id()})
    return _signed_in(user, settings)


def log_in(
    *, session: Session, email: str, password: str, source_address: str | None, settings: Settings
) -> SignedIn:
    """Check the password, throttled per email and per source address (counters in the database).

    The attempt is reserved and committed before the password is checked, so parallel guesses cannot
    overtake the limit and no transaction stays open during bcrypt. Exactly one bcrypt check in every case:
    an unknown email is checked against a dummy hash.
    """
    email = normalize_email(email)
    keys = throttle.throttle_keys(email, source_address)
    attempt = throttle.reserve(session, keys, utc_now())
    user: User | None = None
    checked_hash: str | None = None  # the account's hash, or a decoy (users.find_for_login)
    if attempt.retry_after_seconds is None and is_valid_email(email):
        user, checked_hash = find_for_login(session=session, email=email)
    session.commit()
    log_context = {"email": mask_email(email), "request_id": current_request_id()}

    if attempt.retry_after_seconds is not None:
        throttle.release(session, attempt)
        session.commit()
        logger.warning("login throttled", extra={"reason": "too_many_failures", **log_context})
        raise TooManyAttempts(attempt.retry_after_seconds)

    stored_hash = user.password_hash if user is not None else None
    check = check_password(password, checked_hash, settings.bcrypt_rounds)
    if user is None or stored_hash is None or not check.valid:
        if user is None:
            reason = "unknown_email"
        else:
            reason = "no_password" if stored_hash is None else "wrong_password"
        logger.info("login failed", extra={"reason": reason, **log_context})
        prune_occasionally(session, throttle.prune_expired)
        raise InvalidCredentials()

    if check.rehash:  # a new cost or an old spelling: one UPDATE, flushed by the commit below, this once
        user.password_hash = rehash_password(password, settings.bcrypt_rounds)
    throttle.succeeded(session, attempt)
    session.commit()
    logger.info("logged in", extra={"user_id": user.id, "request_id": current_request_id()})
    return _signed_in(user, settings)


def log_out(*, session: Session, raw_token: str, settings: Settings) -> None:
    """Revoke the presented token until it would have expired. A token that cannot be used anyway (expired,
    malformed, …) needs no revocation: logging out with it succeeds too, as OAuth token revocation does."""
    try:
        token = verify_token(
            raw_token, secret=settings.better_auth_secret, better_auth_url=settings.better_auth_url
        )
    except TokenError as error:
        logger.info(
            "logout without a usable token",
            extra={"reason": error.reason, "request_id": current_request_id()},
        )
        return
    revocation.revoke(session, token, utc_now())
    session.commit()
    logger.info("logged out", extra={"user_id": token.user_id, "request_id": current_request_id()})
    prune_occasionally(session, revocation.prune_expired)
