"""The session sequences: refresh, log out (here or everywhere), list and end sessions, change the password.

Only the auth function imports this module (the password change loads bcrypt). Rules in
docs/adr/0032-sessions-and-refresh-tokens.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from todo_shared.auth import revocation, session_store, throttle
from todo_shared.auth.claims import TokenError, VerifiedToken
from todo_shared.auth.passwords import hash_password, normalize_password, verify_password
from todo_shared.auth.sign_in import SignedIn, access_token, session_lifetime
from todo_shared.auth.user_fields import mask_email
from todo_shared.auth.verify import verify_with_settings
from todo_shared.config.settings import Settings
from todo_shared.db.pruning import prune_occasionally
from todo_shared.errors import InvalidCredentials, InvalidField, RefreshTokenReused, TooManyAttempts
from todo_shared.models import AuthSession, User, utc_now
from todo_shared.observability import current_request_id, logger


def refresh(*, session: Session, raw_token: str | None, settings: Settings) -> SignedIn:
    """A new access token and the session's next refresh token; the presented one is used up."""
    try:
        renewed = session_store.renew(
            session, raw_token=raw_token or "", lifetime=session_lifetime(settings), now=utc_now()
        )
    except RefreshTokenReused as error:
        session.commit()  # the session's end holds although the request fails
        logger.warning(
            "refresh token reused: session ended",
            extra={"reason": error.reason, **error.context, "request_id": current_request_id()},
        )
        raise
    session.commit()
    prune_occasionally(session, session_store.prune_expired)
    return SignedIn(
        renewed.user,
        access_token(renewed.user, renewed.auth_session.id, settings),
        renewed.refresh_token,
        renewed.auth_session.expires_at,
    )


def _usable(raw_token: str, settings: Settings) -> VerifiedToken | None:
    try:
        return verify_with_settings(raw_token, settings)
    except TokenError as error:
        logger.info(
            "logout without a usable token",
            extra={"reason": error.reason, "request_id": current_request_id()},
        )
        return None


def log_out(
    *, session: Session, raw_tokens: Sequence[str], refresh_token: str | None, settings: Settings
) -> None:
    """End this session and revoke every presented access token (header and cookie). Tokens that cannot be
    used anyway (expired, malformed, …) need nothing: logging out with them succeeds too."""
    now = utc_now()
    ended: list[str] = []
    for raw_token in raw_tokens:
        token = _usable(raw_token, settings)
        if token is None:
            continue
        revocation.revoke(session, token, now)
        ended.append(token.user_id)
        if token.session_id is not None:
            session_store.end_session_by_id(session, token.session_id, now)
    if refresh_token:
        session_id = session_store.session_of_refresh_token(session, refresh_token)
        if session_id is not None:
            session_store.end_session_by_id(session, session_id, now)
    session.commit()
    for user_id in dict.fromkeys(ended):
        logger.info("logged out", extra={"user_id": user_id, "request_id": current_request_id()})
    prune_occasionally(session, revocation.prune_expired)


def log_out_everywhere(*, session: Session, user: User, token: VerifiedToken) -> int:
    """End every session of the user, this one included, and revoke the presented token."""
    now = utc_now()
    ended = session_store.end_sessions_of_user(session, user_id=user.id, now=now)
    revocation.revoke(session, token, now)
    session.commit()
    logger.info(
        "logged out everywhere",
        extra={"user_id": user.id, "sessions_ended": ended, "request_id": current_request_id()},
    )
    return ended


@dataclass(frozen=True, slots=True)
class ListedSession:
    auth_session: AuthSession
    current: bool


def list_sessions(*, session: Session, user: User, token: VerifiedToken) -> list[ListedSession]:
    return [
        ListedSession(item, item.id == token.session_id)
        for item in session_store.active_sessions(session, user_id=user.id, now=utc_now())
    ]


def end_session(*, session: Session, user: User, session_id: str) -> None:
    session_store.end_own_session(session, user_id=user.id, auth_session_id=session_id, now=utc_now())
    session.commit()
    logger.info(
        "session ended",
        extra={"user_id": user.id, "session_id": session_id, "request_id": current_request_id()},
    )


def change_password(
    *,
    session: Session,
    user: User,
    token: VerifiedToken,
    current_password: str,
    new_password: str,
    source_address: str | None,
    settings: Settings,
) -> int:
    """Check the current password (throttled as login is), set the new one, end every other session.

    A new password equal to the current one (in its NFKC form) is refused first: it would end the other
    sessions and change nothing. An account without a password (a frontend's user) has none to change.
    """
    if normalize_password(new_password) == normalize_password(current_password):
        raise InvalidField("new_password", "The new password must be different from the current one.")
    log_context = {
        "user_id": user.id,
        "email": mask_email(user.email or ""),
        "request_id": current_request_id(),
    }
    if user.password_hash is None or user.email is None:
        logger.info("password change refused", extra={"reason": "no_password", **log_context})
        raise InvalidCredentials()
    attempt = throttle.count_login(session, throttle.login_keys(user.email, source_address), utc_now())
    if attempt.retry_after_seconds is not None:
        session.rollback()  # a refused attempt is not counted and writes nothing
        logger.warning("password change throttled", extra={"reason": "too_many_failures", **log_context})
        raise TooManyAttempts(attempt.retry_after_seconds)
    session.commit()  # counted before bcrypt, as a login is
    if not verify_password(current_password, user.password_hash, settings.bcrypt_rounds):
        logger.info("password change refused", extra={"reason": "wrong_password", **log_context})
        raise InvalidCredentials()
    new_hash = hash_password(new_password, settings.bcrypt_rounds)
    throttle.login_succeeded(session, attempt)
    user.password_hash = new_hash
    user.updated_at = utc_now()
    session.add(user)
    ended = session_store.end_sessions_of_user(session, user_id=user.id, now=utc_now(), keep=token.session_id)
    session.commit()
    logger.info("password changed", extra={"sessions_ended": ended, **log_context})
    return ended
