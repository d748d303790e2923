"""Logout: revoked tokens, kept in the database (Lambda containers share nothing) until they expire.

A token is identified by ``VerifiedToken.revocation_key``: its ``jti`` when it has one (ours), else a digest
of its signed part (Better Auth's carry no ``jti``), so logging out revokes exactly the presented token.
Rows are kept until the token would have expired (plus the clock-skew leeway), then pruned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from todo_shared.auth.claims import LEEWAY_SECONDS, VerifiedToken
from todo_shared.db.pruning import PRUNE_BATCH, delete_expired
from todo_shared.db.upsert import dialect_insert
from todo_shared.models import RevokedToken

# Keep a revocation a little longer than the token could still be accepted.
RETENTION_MARGIN = timedelta(seconds=LEEWAY_SECONDS + 60)


def revoked_clause(token_key: str) -> ColumnElement[bool]:
    """``EXISTS`` (a revocation of ``token_key``), to combine with the user lookup in one query."""
    return exists().where(col(RevokedToken.token_key) == token_key)


def is_revoked(session: Session, token_key: str) -> bool:
    return (
        session.exec(select(RevokedToken.token_key).where(RevokedToken.token_key == token_key)).first()
        is not None
    )


def revoke(session: Session, token: VerifiedToken, now: datetime) -> None:
    """Record the revocation (idempotent: revoking twice is not an error). The caller commits."""
    statement = (
        dialect_insert(session, RevokedToken)
        .values(
            token_key=token.revocation_key,
            user_id=token.user_id,
            expires_at=token.expires_at + RETENTION_MARGIN,
            revoked_at=now,
        )
        .on_conflict_do_nothing(index_elements=["token_key"])
    )
    session.exec(statement)


def prune_expired(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` revocations of tokens that have expired anyway. The caller commits."""
    return delete_expired(session, RevokedToken.token_key, col(RevokedToken.expires_at) < now, batch)
