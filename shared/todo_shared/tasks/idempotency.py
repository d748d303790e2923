"""Creates safe to retry: the first answer to an ``Idempotency-Key``, stored in the create's own transaction.

The IETF httpapi Idempotency-Key draft's rules, per user and key, for ``IDEMPOTENCY_RETENTION``: the same key
with the same body answers the first answer again (a replay), with another body ``IdempotencyKeyReused``, and
while the first is still running ``IdempotencyKeyInUse``. The answer is written with the task and committed with
it, so a create whose answer was lost (a 503 after its COMMIT) is found by its retry, and a create that did not
commit left no key behind. Why ours and not Powertools' utility: docs/adr/0038-idempotency-keys.md.

PostgreSQL: the key is claimed with a transaction-scoped advisory lock taken without waiting, in the lookup's
statement (a second request with the key while the first runs gets the 409 at once; the lock ends with the
transaction, so nothing stays on a server connection PgBouncer hands on). The answer's INSERT travels in
COMMIT's flight. SQLite has no such lock: there the unique key decides, and the loser replays the winner's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, insert, literal, true
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from todo_shared.db.engine import commit_with
from todo_shared.db.failures import is_unique_violation
from todo_shared.db.pruning import PRUNE_BATCH, delete_expired, prune_occasionally
from todo_shared.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from todo_shared.models import IdempotencyRecord, Task, utc_now

IDEMPOTENCY_RETENTION = timedelta(hours=24)
# Two tries: the second only when another request stored the same key between our lookup and our write.
_ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    key: str
    fingerprint: str  # SHA-256 of the request's body, hex


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer as sent: status, JSON body, the headers to repeat (the ETag); ``replayed`` when it was sent
    before."""

    status_code: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def _claim_lock(owner_id: str, key: str) -> object:
    return func.pg_try_advisory_xact_lock(func.hashtextextended(f"idempotency\x1f{owner_id}\x1f{key}", 0))


def _lookup(session: Session, owner_id: str, key: str) -> tuple[bool, IdempotencyRecord | None]:
    """Whether the key is free to claim (no other transaction holds it), and its stored answer, if any."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    free = _claim_lock(owner_id, key) if postgresql else true()
    one = select(literal(1).label("one")).subquery()
    same_key = and_(*_same(owner_id, key))
    statement = select(free.label("free"), IdempotencyRecord).select_from(  # type: ignore[attr-defined]
        one.outerjoin(IdempotencyRecord, same_key)
    )
    claimed, record = session.exec(statement).one()
    return bool(claimed), record


def create_once(
    *,
    session: Session,
    owner_id: str,
    request: IdempotentRequest,
    create: Callable[[], Task],
    answer_of: Callable[[Task], StoredAnswer],
) -> StoredAnswer:
    """The answer to a create sent with an Idempotency-Key: the stored one for a retry, else ``create()``'s
    task (added and flushed, not committed) answered by ``answer_of``, stored and committed with it."""
    for _ in range(_ATTEMPTS):
        now = utc_now()
        free, record = _lookup(session, owner_id, request.key)
        if not free:
            session.rollback()
            raise IdempotencyKeyInUse()
        if record is not None and record.created_at > now - IDEMPOTENCY_RETENTION:
            stored = StoredAnswer(record.status_code, record.body, json.loads(record.headers), replayed=True)
            same_body = record.fingerprint == request.fingerprint
            session.rollback()  # read before: a rollback expires what the session loaded
            if not same_body:
                raise IdempotencyKeyReused()
            return stored
        if record is not None:  # expired, not pruned yet: the key is free again
            session.exec(delete(IdempotencyRecord).where(*_same(owner_id, request.key)))
        answer = answer_of(create())
        row = {
            "user_id": owner_id,
            "key": request.key,
            "fingerprint": request.fingerprint,
            "status_code": answer.status_code,
            "body": answer.body,
            "headers": json.dumps(answer.headers),
            "created_at": now,
        }
        try:
            commit_with(session, insert(IdempotencyRecord).values(**row))
        except DBAPIError as error:
            session.rollback()
            if not is_unique_violation(error):
                raise
            continue  # stored by another request meanwhile: look again, and replay its answer
        prune_occasionally(session, prune_expired)
        return answer
    raise IdempotencyKeyInUse()


def _same(owner_id: str, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return col(IdempotencyRecord.user_id) == owner_id, col(IdempotencyRecord.key) == key


def prune_expired(session: Session, now: datetime, batch: int = PRUNE_BATCH) -> int:
    """Delete up to ``batch`` keys older than the retention. The caller commits."""
    expired = col(IdempotencyRecord.created_at) < now - IDEMPOTENCY_RETENTION
    return delete_expired(session, (IdempotencyRecord.user_id, IdempotencyRecord.key), expired, batch)
