"""Accounts: the user a verified token stands for, local accounts by email, and their public shape."""

from __future__ import annotations

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, literal, literal_column, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from todo_shared.auth.claims import TokenError, VerifiedToken
from todo_shared.auth.revocation import is_revoked, revoked_clause
from todo_shared.auth.session_store import session_is_active_clause
from todo_shared.auth.user_fields import clean_name, email_digest, is_valid_email, normalize_email
from todo_shared.models import (
    FRONTEND_ISSUER,
    LEGACY_BETTER_AUTH_ISSUER,
    LOCAL_ISSUER,
    LOCAL_ISSUER_SQL,
    User,
    UserPublic,
    new_user_id,
    utc_now,
)
from todo_shared.observability import current_request_id, logger


def public_user(user: User) -> UserPublic:
    return UserPublic(id=user.id, email=user.email, name=user.name, created_at=user.created_at)


def new_local_account(*, email: str, name: str | None, password_hash: str) -> User:
    """A local account (signup): its own id is its subject."""
    user_id = new_user_id()
    return User(
        id=user_id, issuer=LOCAL_ISSUER, subject=user_id, email=email, name=name, password_hash=password_hash
    )


def find_by_email(*, session: Session, email: str) -> User | None:
    """The local account of a normalised ``email``, or None. A frontend's users are never found by email:
    they sign in at the frontend, and may share an email with a local account."""
    return session.exec(
        select(User).where(text(LOCAL_ISSUER_SQL), func.lower(col(User.email)) == email)
    ).first()


def _identity(token: VerifiedToken) -> ColumnElement[bool]:
    return and_(col(User.issuer) == token.issuer, col(User.subject) == token.user_id)


def user_for_token(*, session: Session, token: VerifiedToken) -> User:
    """The token's account, by (issuer, subject), in the same statement that checks the token is not revoked
    (one round trip, on the unique index of the pair).

    A frontend's user (its HS256 token or Better Auth's) seen for the first time gets an account; a token of
    ours names an account that must exist.
    """
    row = session.exec(
        select(
            User,
            revoked_clause(token.revocation_key),
            session_is_active_clause(token.session_id, utc_now()),
        ).where(_identity(token))
    ).first()
    if row is None:
        if is_revoked(session, token.revocation_key):
            raise TokenError("revoked", user_id=token.user_id)
        if token.source != "api":
            return provision_frontend_user(session=session, token=token)
        raise TokenError("unknown_user", user_id=token.user_id)
    user, revoked, session_active = row
    if revoked:
        raise TokenError("revoked", user_id=token.user_id)
    if not session_active:
        raise TokenError("session_ended", user_id=token.user_id, session_id=token.session_id)
    return user


def _claimed_email(token: VerifiedToken) -> str | None:
    """The token's email, normalised, if it is a usable address: frontends often send none."""
    email = normalize_email(token.email) if token.email else None
    return email if email is not None and is_valid_email(email) else None


def _adopt(session: Session, token: VerifiedToken) -> bool:
    """Move an account of this subject from an earlier namespace of the frontend's users into the token's:
    ``FRONTEND_ISSUER`` (before BETTER_AUTH_URL was set) or the legacy marker (before issuers). One UPDATE;
    should both hold one, the older moves."""
    earlier = [issuer for issuer in (FRONTEND_ISSUER, LEGACY_BETTER_AUTH_ISSUER) if issuer != token.issuer]
    oldest = (
        select(col(User.id))
        .where(col(User.issuer).in_(earlier), col(User.subject) == token.user_id)
        .order_by(col(User.created_at), col(User.id))
        .limit(1)
        .scalar_subquery()
    )
    return bool(session.exec(update(User).where(col(User.id) == oldest).values(issuer=token.issuer)).rowcount)


def provision_frontend_user(*, session: Session, token: VerifiedToken) -> User:
    """The account of a frontend's user seen for the first time (no password; email and name when the token
    carries usable ones).

    Never merged with nor refused for another account of the same email or id, local or not: a frontend's
    emails are often unverified, and a new ``sub`` (a user re-created upstream) is a new person here. The
    account's id is the ``sub``, unless another identity's account has that id (a local account, a user of
    another Better Auth origin): then a generated one. An account of this subject in an earlier namespace of
    the frontend's users is adopted instead (``_adopt``).
    """
    if _adopt(session, token):
        session.commit()
        logger.info(
            "frontend user adopted",
            extra={"user_id": token.user_id, "source": token.source, "request_id": current_request_id()},
        )
        return session.exec(select(User).where(_identity(token))).one()
    email = _claimed_email(token)
    for user_id in (token.user_id, new_user_id()):
        user = User(
            id=user_id,
            issuer=token.issuer,
            subject=token.user_id,
            email=email,
            name=clean_name(token.name),
            password_hash=None,
        )
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = session.exec(select(User).where(_identity(token))).first()
            if existing is not None:  # a concurrent first request created it
                return existing
            continue  # the id is another identity's account: a generated one
        logger.info(
            "frontend user provisioned",
            extra={"user_id": user.id, "source": token.source, "request_id": current_request_id()},
        )
        return user
    raise TokenError("unknown_user", user_id=token.user_id)  # a generated id taken too: cannot happen


def find_for_login(*, session: Session, email: str) -> tuple[User | None, str | None]:
    """The account of a normalised ``email`` (as ``find_by_email``) and the hash its login checks: its own,
    or (unknown email, no password) a decoy, some local account's picked by the email's digest, whose check
    the caller ignores (docs/adr/0015-passwords.md). None when there is no local account. One statement.
    """
    start = email_digest(email)
    decoy = aliased(User)
    local = col(decoy.password_hash).is_not(None)

    def first_local(*where: ColumnElement[bool]) -> ScalarSelect[str | None]:
        query = select(col(decoy.password_hash)).where(local, *where).order_by(col(decoy.id)).limit(1)
        return query.scalar_subquery()

    anchor = select(literal(1).label("one")).subquery()
    statement = (
        select(User, func.coalesce(first_local(col(decoy.id) >= start), first_local()).label("decoy"))
        .select_from(anchor)
        # Local accounts only, as find_by_email: the issuer inlined, so PostgreSQL can use the partial index.
        .outerjoin(
            User,
            and_(
                col(User.issuer) == literal_column(f"'{LOCAL_ISSUER}'"), func.lower(col(User.email)) == email
            ),
        )
        .limit(1)
    )
    user, decoy_hash = session.exec(statement).one()
    if user is not None and user.password_hash is not None:
        return user, user.password_hash
    return user, decoy_hash
