"""Login throttling that holds across Lambda containers: the counters live in the database.

Two counters per attempt, each in a fixed window of ``WINDOW`` from its first attempt:
- the email (by SHA-256 digest of its normalised form, so no address is stored): ``EMAIL_LIMIT``;
- the source address (API Gateway's ``sourceIp``; never ``X-Forwarded-For``, which clients write):
  ``ADDRESS_LIMIT``, higher because many people can share one address.

Every attempt first *reserves* a slot on both counters with one atomic upsert each and commits, before the
password is checked: parallel guesses cannot overtake the limit, and no row lock is held during bcrypt.
An attempt over either limit is refused (429, ``Retry-After`` = the rest of that window) without checking
the password, and its reservations are released again. A successful login resets the email's counter and
releases its slot on the address's counter (so many users behind one address do not lock each other out;
the address's failures are not forgiven by one success, which an attacker could otherwise buy with an
account of their own). What remains counted is failures, plus attempts still in flight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, case, delete, literal, update
from sqlmodel import Session, col

from todo_shared.auth.user_fields import email_digest
from todo_shared.db.pruning import PRUNE_BATCH, delete_expired
from todo_shared.db.upsert import dialect_insert
from todo_shared.models import LoginThrottle, UTCDateTime

WINDOW = timedelta(minutes=15)
EMAIL_LIMIT = 5
ADDRESS_LIMIT = 30


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    key: str
    limit: int
    resets_on_success: bool


@dataclass(frozen=True, slots=True)
class Reservation:
    key: ThrottleKey
    attempts: int  # in this window, including this one
    window_started_at: datetime

    @property
    def over_limit(self) -> bool:
        return self.attempts > self.key.limit


@dataclass(frozen=True, slots=True)
class Attempt:
    reservations: tuple[Reservation, ...]
    retry_after_seconds: int | None  # None: the attempt may proceed


def throttle_keys(email: str, source_address: str | None) -> tuple[ThrottleKey, ThrottleKey]:
    """The counters one login attempt for ``email`` (normalised) from ``source_address`` touches."""
    address = (source_address or "unknown")[:90]
    return (
        ThrottleKey(f"email:{email_digest(email)}", EMAIL_LIMIT, resets_on_success=True),
        ThrottleKey(f"ip:{address}", ADDRESS_LIMIT, resets_on_success=False),
    )


def _reserve_one(session: Session, key: ThrottleKey, now: datetime) -> Reservation:
    expired = col(LoginThrottle.window_started_at) <= now - WINDOW
    statement = (
        dialect_insert(session, LoginThrottle)
        .values(key=key.key, attempts=1, window_started_at=now)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "attempts": case(
                    (expired, literal(1, Integer)), else_=col(LoginThrottle.attempts) + literal(1, Integer)
                ),
                "window_started_at": case(
                    (expired, literal(now, UTCDateTime)), else_=col(LoginThrottle.window_started_at)
                ),
            },
        )
        .returning(col(LoginThrottle.attempts), col(LoginThrottle.window_started_at))
    )
    attempts, window_started_at = session.exec(statement).one()
    return Reservation(key, int(attempts), window_started_at)


def reserve(session: Session, keys: tuple[ThrottleKey, ...], now: datetime) -> Attempt:
    """Count this attempt on every key (in key order, so concurrent attempts lock rows alike).

    The caller commits straight away, before checking the password.
    """
    reservations = tuple(_reserve_one(session, key, now) for key in keys)
    over = [item for item in reservations if item.over_limit]
    if not over:
        return Attempt(reservations, None)
    ends = max(item.window_started_at + WINDOW for item in over)
    return Attempt(reservations, max(1, math.ceil((ends - now).total_seconds())))


def _release(session: Session, reservation: Reservation) -> None:
    session.exec(
        update(LoginThrottle)
        .where(
            col(LoginThrottle.key) == reservation.key.key,
            col(LoginThrottle.window_started_at) == reservation.window_started_at,
            col(LoginThrottle.attempts) > 0,
        )
        .values(attempts=col(LoginThrottle.attempts) - 1)
    )


def release(session: Session, attempt: Attempt) -> None:
    """Un-count an attempt that was refused without checking the password. The caller commits."""
    for reservation in attempt.reservations:
        _release(session, reservation)


def succeeded(session: Session, attempt: Attempt) -> None:
    """A correct password: reset the email's counter, release the address's slot. The caller commits."""
    for reservation in attempt.reservations:
        if reservation.key.resets_on_success:
            session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == reservation.key.key))
        else:
            _release(session, reservation)


def prune_expired(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` counters whose window has ended. The caller commits."""
    expired = col(LoginThrottle.window_started_at) <= now - WINDOW
    return delete_expired(session, LoginThrottle.key, expired, batch)
