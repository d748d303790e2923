"""Login and signup throttling that holds across Lambda containers: the counters live in the database.

The design and its reasons are in docs/adr/0007-login-throttling.md. In short, each counter counts in a fixed
window of ``WINDOW`` from its first attempt, and a login attempt for an email from a source address counts on
three:
- the pair (email, address): at most ``PAIR_LIMIT``;
- the address: at most ``ADDRESS_LIMIT``, higher because many people can share one address;
- the email: past ``EMAIL_LIMIT`` only addresses that have no failure for it in their window are checked, so
  guessing from many addresses stays bounded while the owner, from an address of their own, is never refused.
A signup counts on the address's signup counter: at most ``SIGNUP_LIMIT``.

An attempt is counted with one atomic upsert of all its counters, and decided on the counts it returns. A
refused attempt is rolled back, so it is not counted and writes nothing; an admitted one is committed before
bcrypt runs, so parallel guesses cannot overtake a limit and no row lock is held during the hash. Emails are
keyed by SHA-256 digests only; an address is API Gateway's ``sourceIp`` (never ``X-Forwarded-For``, which
clients write), an IPv6 one by its /64 network.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, case, literal, or_, update
from sqlmodel import Session, col, select

from todo_shared.auth.user_fields import email_digest
from todo_shared.db.pruning import PRUNE_BATCH, delete_expired
from todo_shared.db.upsert import dialect_insert
from todo_shared.models import LoginThrottle, UTCDateTime

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
ADDRESS_LIMIT = 30
EMAIL_LIMIT = 10  # twice PAIR_LIMIT: one address alone never reaches it
SIGNUP_LIMIT = 20

# The key prefixes start with different letters, so Python and every database collation sort a login's keys
# alike: rows are always locked in the same order, and concurrent attempts cannot deadlock.
_PAIR, _ADDRESS, _EMAIL, _SIGNUP = "pair:", "ip:", "email:", "signup:"
_MAX_ADDRESS_LENGTH = 90  # the key column holds 100 characters


@dataclass(frozen=True, slots=True)
class Counter:
    attempts: int  # in this window, the current attempt included
    window_started_at: datetime

    @property
    def window_ends_at(self) -> datetime:
        return self.window_started_at + WINDOW


@dataclass(frozen=True, slots=True)
class LoginKeys:
    pair: str
    address: str
    email: str


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    keys: LoginKeys
    pair: Counter
    address: Counter
    email: Counter
    refused_by: tuple[str, ...]  # the limits that refuse it: "pair", "address", "email"; empty: admitted
    retry_after_seconds: int | None  # None: the password may be checked


def address_key(source_address: str | None) -> str:
    """The unit an address is throttled as: an IPv4 address, or an IPv6 address's /64 network (one subscriber
    usually holds a whole /64, which would otherwise give an attacker endless fresh addresses)."""
    raw = (source_address or "unknown").strip()
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:_MAX_ADDRESS_LENGTH]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(parsed), 64), strict=False))
    return str(parsed)


def login_keys(email: str, source_address: str | None) -> LoginKeys:
    """The counters a login attempt for ``email`` (normalised) from ``source_address`` touches."""
    address = address_key(source_address)
    pair = hashlib.sha256(f"{address}\n{email}".encode("utf-8", "surrogatepass")).hexdigest()
    return LoginKeys(
        pair=f"{_PAIR}{pair}", address=f"{_ADDRESS}{address}", email=f"{_EMAIL}{email_digest(email)}"
    )


def signup_key(source_address: str | None) -> str:
    return f"{_SIGNUP}{address_key(source_address)}"


def _count(session: Session, keys: Iterable[str], now: datetime) -> dict[str, Counter]:
    """Count one attempt on every key, in one statement (rows in key order, so locks are taken alike)."""
    expired = col(LoginThrottle.window_started_at) <= now - WINDOW
    statement = (
        dialect_insert(session, LoginThrottle)
        .values([{"key": key, "attempts": 1, "window_started_at": now} for key in sorted(keys)])
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
        .returning(col(LoginThrottle.key), col(LoginThrottle.attempts), col(LoginThrottle.window_started_at))
    )
    return {key: Counter(int(attempts), started) for key, attempts, started in session.exec(statement).all()}


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def count_login(session: Session, keys: LoginKeys, now: datetime) -> LoginAttempt:
    """Count a login attempt and decide whether its password may be checked.

    Admitted: the caller commits before checking the password (the count stays as a failure unless
    ``login_succeeded``). Refused: the caller rolls back, so the attempt is not counted and writes nothing.
    """
    counted = _count(session, (keys.pair, keys.address, keys.email), now)
    pair, address, email = counted[keys.pair], counted[keys.address], counted[keys.email]
    refusals: dict[str, datetime] = {}
    if pair.attempts > PAIR_LIMIT:
        refusals["pair"] = pair.window_ends_at
    if address.attempts > ADDRESS_LIMIT:
        refusals["address"] = address.window_ends_at
    # Past the email's limit only a fresh pair is checked: ``pair.attempts > 1`` means this address already
    # failed (or is trying) for this email in the pair's window. It may try again when either window ends.
    if email.attempts > EMAIL_LIMIT and pair.attempts > 1:
        refusals["email"] = min(email.window_ends_at, pair.window_ends_at)
    retry = _seconds_until(max(refusals.values()), now) if refusals else None
    return LoginAttempt(keys, pair, address, email, tuple(refusals), retry)


def login_succeeded(session: Session, attempt: LoginAttempt) -> None:
    """A correct password: the pair's failures are forgiven; the attempt's slots on the address and the
    email are released, but their failures stay counted (else an attacker could buy them off with an account
    of their own, or the owner's logins would reopen the email to addresses that failed). The caller commits.
    """
    keys = attempt.keys
    counted = ((keys.pair, attempt.pair), (keys.address, attempt.address), (keys.email, attempt.email))
    key_column = col(LoginThrottle.key)
    # Lock the rows in key order first (PostgreSQL; SQLite locks the whole database), as _count does.
    locked = select(key_column).where(key_column.in_([key for key, _ in counted])).order_by(key_column)
    session.exec(
        update(LoginThrottle)
        .where(
            key_column.in_(locked.with_for_update()),
            # A window that ended and restarted meanwhile holds other attempts: leave it alone.
            or_(
                *(
                    and_(key_column == key, col(LoginThrottle.window_started_at) == counter.window_started_at)
                    for key, counter in counted
                )
            ),
            col(LoginThrottle.attempts) > 0,
        )
        .values(
            attempts=case(
                (key_column == keys.pair, literal(0, Integer)),
                else_=col(LoginThrottle.attempts) - literal(1, Integer),
            )
        )
    )


def count_signup(session: Session, source_address: str | None, now: datetime) -> int | None:
    """Count a signup attempt from ``source_address``: None if it may proceed (the caller commits), else the
    seconds until it may (the caller rolls back: a refused attempt is not counted and writes nothing)."""
    key = signup_key(source_address)
    counter = _count(session, (key,), now)[key]
    return _seconds_until(counter.window_ends_at, now) if counter.attempts > SIGNUP_LIMIT else None


def prune_expired(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` counters whose window has ended. The caller commits."""
    expired = col(LoginThrottle.window_started_at) <= now - WINDOW
    return delete_expired(session, LoginThrottle.key, expired, batch)
