"""The account sequences: sign up and log in, each opening a session (throttling: docs/adr/0007-login-throttling.md;
the session sequences are in ``session_flows``).

Only the auth function imports this module: it loads bcrypt, which the tasks function must not pay for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from todo_shared.auth import session_store, throttle
from todo_shared.auth.passwords import check_password, hash_password, rehash_password
from todo_shared.auth.tokens import IssuedToken, issue_token
from todo_shared.auth.user_fields import is_valid_email, mask_email, normalize_email
from todo_shared.auth.users import find_by_email, find_for_login, new_local_account
from todo_shared.config.settings import Settings
from todo_shared.db.pruning import prune_occasionally
from todo_shared.errors import EmailTaken, InvalidCredentials, TooManyAttempts, TooManySignups
from todo_shared.models import User, utc_now
from todo_shared.observability import current_request_id, logger


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A user signed in: the access token, and the refresh token of the session it belongs to."""

    user: User
    token: IssuedToken
    refresh_token: str
    session_expires_at: datetime


def session_lifetime(settings: Settings) -> session_store.SessionLifetime:
    return session_store.SessionLifetime(
        idle=timedelta(days=settings.session_idle_days), absolute=timedelta(days=settings.session_max_days)
    )


def access_token(user: User, session_id: str, settings: Settings) -> IssuedToken:
    return issue_token(
        user_id=user.id,
        email=user.email,
        session_id=session_id,
        secret=settings.better_auth_secret,
        expires_minutes=settings.jwt_expires_minutes,
    )


def _signed_in(session: Session, user: User, settings: Settings, user_agent: str | None) -> SignedIn:
    """Open a session for ``user`` and commit it (with whatever the caller left pending)."""
    auth_session, refresh_token = session_store.open_session(
        session, user_id=user.id, user_agent=user_agent, lifetime=session_lifetime(settings), now=utc_now()
    )
    session.commit()
    return SignedIn(
        user, access_token(user, auth_session.id, settings), refresh_token, auth_session.expires_at
    )


def sign_up(
    *,
    session: Session,
    email: str,
    password: str,
    name: str | None,
    source_address: str | None,
    user_agent: str | None,
    settings: Settings,
) -> SignedIn:
    """Create a local account (``email`` normalised and valid, ``password`` within the rules), throttled per
    source address.

    A taken email is refused before bcrypt runs, so it costs no hash; the unique index still decides races.
    """
    log_context = {"email": mask_email(email), "request_id": current_request_id()}
    retry_after = throttle.count_signup(session, source_address, utc_now())
    if retry_after is not None:
        session.rollback()  # a refused attempt is not counted and writes nothing
        logger.warning("signup throttled", extra={"reason": "too_many_signups", **log_context})
        prune_occasionally(session, throttle.prune_expired)
        raise TooManySignups(retry_after)
    taken = find_by_email(session=session, email=email) is not None
    session.commit()  # the attempt counts, whatever its answer; no transaction stays open during bcrypt
    if taken:
        logger.info("signup refused", extra={"reason": "email_taken", **log_context})
        prune_occasionally(session, throttle.prune_expired)
        raise EmailTaken()

    password_hash = hash_password(password, settings.bcrypt_rounds)
    user = new_local_account(email=email, name=name, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the unique index on lower(email) of local accounts: two signups raced
        session.rollback()
        logger.info("signup refused", extra={"reason": "email_taken", **log_context})
        raise EmailTaken() from None
    logger.info("signed up", extra={"user_id": user.id, "request_id": current_request_id()})
    return _signed_in(session, user, settings, user_agent)


def log_in(
    *,
    session: Session,
    email: str,
    password: str,
    source_address: str | None,
    user_agent: str | None,
    settings: Settings,
) -> SignedIn:
    """Check the password, throttled per email, per source address and per both (counters in the database).

    The attempt is counted and committed before the password is checked, so parallel guesses cannot
    overtake a limit and no transaction stays open during bcrypt; a refused attempt is rolled back instead,
    so it is not counted and writes nothing. Every admitted attempt checks a stored cost: an unknown email
    is checked against a decoy, some local account's hash (docs/adr/0015-passwords.md).
    """
    email = normalize_email(email)
    log_context = {"email": mask_email(email), "request_id": current_request_id()}
    attempt = throttle.count_login(session, throttle.login_keys(email, source_address), utc_now())
    if attempt.retry_after_seconds is not None:
        session.rollback()
        logger.warning(
            "login throttled",
            extra={"reason": "too_many_failures", "limits": ",".join(attempt.refused_by), **log_context},
        )
        prune_occasionally(session, throttle.prune_expired)
        raise TooManyAttempts(attempt.retry_after_seconds)
    user: User | None = None
    checked_hash: str | None = None  # the account's hash, or a decoy (users.find_for_login)
    if is_valid_email(email):
        user, checked_hash = find_for_login(session=session, email=email)
    session.commit()

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
    throttle.login_succeeded(session, attempt)
    signed = _signed_in(session, user, settings, user_agent)  # one commit for both
    logger.info("logged in", extra={"user_id": user.id, "request_id": current_request_id()})
    return signed
