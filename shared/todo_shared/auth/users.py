"""Accounts: the user a verified token stands for, local accounts by email, and their public shape."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from todo_shared.auth.claims import TokenError, VerifiedToken
from todo_shared.auth.revocation import is_revoked, revoked_clause
from todo_shared.auth.sessions import session_is_active_clause
from todo_shared.auth.user_fields import clean_name, is_valid_email, mask_email, normalize_email
from todo_shared.errors import AccountConflict
from todo_shared.models import User, UserPublic, utc_now
from todo_shared.observability import current_request_id, logger


def public_user(user: User) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, name=user.name, created_at=user.created_at)


def find_by_email(*, session: Session, email: str) -> User | None:
    """The account of a normalised ``email``, or None."""
    return session.exec(select(User).where(func.lower(col(User.email)) == email)).first()


def user_for_token(*, session: Session, token: VerifiedToken) -> User:
    """The token's user, in the same statement that checks the token is not revoked (one round trip).

    A Better Auth user seen for the first time gets a ``users`` row from the token's claims.
    """
    row = session.exec(
        select(
            User,
            revoked_clause(token.revocation_key),
            session_is_active_clause(token.session_id, utc_now()),
        ).where(User.id == token.user_id)
    ).first()
    if row is None:
        if is_revoked(session, token.revocation_key):
            raise TokenError("revoked", user_id=token.user_id)
        if token.source == "better_auth":
            return provision_better_auth_user(session=session, token=token)
        raise TokenError("unknown_user", user_id=token.user_id)
    user, revoked, session_active = row
    if revoked:
        raise TokenError("revoked", user_id=token.user_id)
    if not session_active:
        raise TokenError("session_ended", user_id=token.user_id, session_id=token.session_id)
    return user


def provision_better_auth_user(*, session: Session, token: VerifiedToken) -> User:
    """Create the ``users`` row of a Better Auth user seen for the first time (no password).

    If the token's email already belongs to another account the request is refused, never merged: Better Auth
    emails are often unverified, and merging would hand one person's tasks to another.
    """
    email = normalize_email(token.email or "")
    if not is_valid_email(email):
        raise TokenError("invalid_email_claim", user_id=token.user_id)
    user = User(id=token.user_id, email=email, name=clean_name(token.name), password_hash=None)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.get(User, token.user_id)
        if existing is not None:  # a concurrent first request created it
            return existing
        logger.warning(
            "Better Auth user refused: email belongs to another account",
            extra={
                "reason": "email_owned_by_other_account",
                "user_id": token.user_id,
                "email": mask_email(email),
                "request_id": current_request_id(),
            },
        )
        raise AccountConflict() from None
    logger.info(
        "Better Auth user provisioned", extra={"user_id": user.id, "request_id": current_request_id()}
    )
    return user
