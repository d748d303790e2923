"""Sessions: one per sign-in, renewed by rotating refresh tokens, ended by logout, reuse or expiry.

State lives in the database (Lambda containers share nothing). The design is in
docs/adr/0032-sessions-and-refresh-tokens.md:
- a refresh token is 256 random bits, stored only as its SHA-256 digest;
- a refresh uses the token up and issues its successor; the used token keeps the successor sealed with
  itself (an HMAC-derived pad: only a holder of the used token can unseal it), so a second refresh of the
  same token within ``REUSE_GRACE`` (two tabs, a retried request) answers the same successor;
- a used token presented after the grace window is theft: the session ends, and with it every refresh token
  of the session and every access token issued in it (their ``sid`` no longer names an active session);
- sessions slide (each refresh moves ``expires_at`` up to ``idle`` ahead) under an absolute cap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, literal, or_, true, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from todo_shared.db.pruning import PRUNE_BATCH
from todo_shared.errors import InvalidRefreshToken, RefreshTokenReused, SessionNotFound
from todo_shared.models import SESSION_ID_PATTERN, AuthSession, RefreshToken, User

REFRESH_TOKEN_BYTES = 32
MAX_REFRESH_TOKEN_LENGTH = 64  # token_urlsafe(32) is 43 characters; anything much longer is not ours
REUSE_GRACE = timedelta(seconds=10)
MAX_USER_AGENT_LENGTH = 255
_SEAL_CONTEXT = b"todo-api refresh-token successor"


@dataclass(frozen=True, slots=True)
class SessionLifetime:
    idle: timedelta  # how long a session lasts without a refresh
    absolute: timedelta  # how long it can last at most


@dataclass(frozen=True, slots=True)
class Renewed:
    """A session renewed by a refresh: its user, and the refresh token to use next."""

    user: User
    auth_session: AuthSession
    refresh_token: str


def _plausible(raw_token: str) -> bool:
    """Could be one of ours: not empty, ASCII, not much longer than ``token_urlsafe(32)``."""
    return bool(raw_token) and len(raw_token) <= MAX_REFRESH_TOKEN_LENGTH and raw_token.isascii()


def digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()


def _pad(used_token: str, length: int) -> bytes:
    return hmac.new(used_token.encode("ascii"), _SEAL_CONTEXT, hashlib.sha512).digest()[:length]


def _seal(successor: str, used_token: str) -> str:
    data = successor.encode("ascii")
    sealed = bytes(a ^ b for a, b in zip(data, _pad(used_token, len(data)), strict=True))
    return base64.urlsafe_b64encode(sealed).decode("ascii")


def _unseal(sealed: str, used_token: str) -> str:
    data = base64.urlsafe_b64decode(sealed.encode("ascii"))
    return bytes(a ^ b for a, b in zip(data, _pad(used_token, len(data)), strict=True)).decode("ascii")


def _new_refresh_token(session: Session, auth_session_id: str, now: datetime) -> str:
    raw = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    session.add(RefreshToken(token_hash=digest(raw), session_id=auth_session_id, created_at=now))
    return raw


def _clean_user_agent(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    printable = "".join(char for char in user_agent if char.isprintable())
    return printable[:MAX_USER_AGENT_LENGTH].strip() or None


def open_session(
    session: Session, *, user_id: str, user_agent: str | None, lifetime: SessionLifetime, now: datetime
) -> tuple[AuthSession, str]:
    """A new session of ``user_id`` and its first refresh token (the raw value). The caller commits."""
    absolute = now + lifetime.absolute
    auth_session = AuthSession(
        user_id=user_id,
        created_at=now,
        last_used_at=now,
        expires_at=min(now + lifetime.idle, absolute),
        absolute_expires_at=absolute,
        user_agent=_clean_user_agent(user_agent),
    )
    session.add(auth_session)  # its id is made here, so its token's row can name it before any flush
    return auth_session, _new_refresh_token(session, auth_session.id, now)


def _is_active(auth_session: AuthSession, now: datetime) -> bool:
    return auth_session.ended_at is None and auth_session.expires_at > now


def end_session_by_id(session: Session, auth_session_id: str, now: datetime) -> bool:
    """End one session (if still active); True when this call ended it. The caller commits."""
    result = session.exec(
        update(AuthSession)
        .where(col(AuthSession.id) == auth_session_id, col(AuthSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return bool(result.rowcount)


def renew(session: Session, *, raw_token: str, lifetime: SessionLifetime, now: datetime) -> Renewed:
    """Rotate ``raw_token``: its successor, or the same successor again within the grace window.

    Raises ``InvalidRefreshToken`` (unknown, or the session is over) or ``RefreshTokenReused`` (after
    ending the session; the caller commits before answering, so the ending holds).
    """
    if not _plausible(raw_token):
        raise InvalidRefreshToken("malformed_refresh_token")
    token_hash = digest(raw_token)
    statement = (
        select(RefreshToken, AuthSession, User)
        .join(AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
        .join(User, col(User.id) == col(AuthSession.user_id))
        .where(col(RefreshToken.token_hash) == token_hash)
    )
    row = session.exec(statement).first()
    if row is None:
        raise InvalidRefreshToken("unknown_refresh_token")
    stored, auth_session, user = row
    if not _is_active(auth_session, now):
        raise InvalidRefreshToken("session_over", user_id=user.id, session_id=auth_session.id)

    if stored.used_at is None:
        successor = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        # Only one of two racing refreshes can mark the token used; the other then takes the grace path.
        claimed = session.exec(
            update(RefreshToken)
            .where(col(RefreshToken.token_hash) == token_hash, col(RefreshToken.used_at).is_(None))
            .values(used_at=now, successor_sealed=_seal(successor, raw_token))
        )
        if claimed.rowcount:
            session.add(
                RefreshToken(token_hash=digest(successor), session_id=auth_session.id, created_at=now)
            )
            session.exec(
                update(AuthSession)
                .where(col(AuthSession.id) == auth_session.id)
                .values(
                    last_used_at=now, expires_at=min(now + lifetime.idle, auth_session.absolute_expires_at)
                )
            )
            return Renewed(user, auth_session, successor)
        session.expire_all()
        stored = session.exec(select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash)).one()

    used_at = stored.used_at
    if used_at is not None and now - used_at <= REUSE_GRACE and stored.successor_sealed:
        return Renewed(user, auth_session, _unseal(stored.successor_sealed, raw_token))
    end_session_by_id(session, auth_session.id, now)
    raise RefreshTokenReused("refresh_token_reused", user_id=user.id, session_id=auth_session.id)


def session_is_active_clause(auth_session_id: str | None, now: datetime) -> ColumnElement[bool]:
    """``EXISTS`` (the token's session, not ended), to fold into the token check's one statement.

    Tokens without a session (Better Auth's, a frontend's own HS256) have nothing to check.
    """
    if auth_session_id is None:
        return true()
    return exists().where(
        col(AuthSession.id) == auth_session_id,
        col(AuthSession.ended_at).is_(None),
        col(AuthSession.absolute_expires_at) > literal(now),
    )


def active_sessions(session: Session, *, user_id: str, now: datetime) -> list[AuthSession]:
    """The user's sessions that can still be used, most recently used first."""
    statement = (
        select(AuthSession)
        .where(
            col(AuthSession.user_id) == user_id,
            col(AuthSession.ended_at).is_(None),
            col(AuthSession.expires_at) > now,
        )
        .order_by(col(AuthSession.last_used_at).desc(), col(AuthSession.id))
    )
    return list(session.exec(statement).all())


def end_own_session(session: Session, *, user_id: str, auth_session_id: str, now: datetime) -> None:
    """End one of the user's active sessions; another user's, an unknown id or one that cannot be an id at
    all (checked before the database sees it) is ``SessionNotFound``."""
    if not SESSION_ID_PATTERN.fullmatch(auth_session_id):
        raise SessionNotFound()
    result = session.exec(
        update(AuthSession)
        .where(
            col(AuthSession.id) == auth_session_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.ended_at).is_(None),
            col(AuthSession.expires_at) > now,
        )
        .values(ended_at=now)
    )
    if not result.rowcount:
        raise SessionNotFound()


def end_sessions_of_user(session: Session, *, user_id: str, now: datetime, keep: str | None = None) -> int:
    """End every active session of the user (but ``keep``'s); how many ended. The caller commits."""
    conditions = [col(AuthSession.user_id) == user_id, col(AuthSession.ended_at).is_(None)]
    if keep is not None:
        conditions.append(col(AuthSession.id) != keep)
    result = session.exec(update(AuthSession).where(*conditions).values(ended_at=now))
    return int(result.rowcount or 0)


# Ended sessions are kept a little while (for the logs' sake, and harmless: their tokens are refused).
ENDED_RETENTION = timedelta(days=1)


def prune_expired(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` sessions that expired or ended a while ago, with their refresh tokens."""
    over = or_(
        col(AuthSession.expires_at) < now,
        col(AuthSession.ended_at) < now - ENDED_RETENTION,
    )
    victims = select(AuthSession.id).where(over).limit(batch).with_for_update(skip_locked=True)
    ids = list(session.exec(victims).all())
    if not ids:
        return 0
    session.exec(delete(RefreshToken).where(col(RefreshToken.session_id).in_(ids)))
    session.exec(delete(AuthSession).where(col(AuthSession.id).in_(ids)))
    return len(ids)


def session_of_refresh_token(session: Session, raw_token: str) -> str | None:
    """The session a refresh token belongs to (used or not), or None."""
    if not _plausible(raw_token):
        return None
    return session.exec(
        select(RefreshToken.session_id).where(col(RefreshToken.token_hash) == digest(raw_token))
    ).first()
