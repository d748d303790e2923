"""The ``Idempotency-Key`` request header of creates, and the stored answers it replays.

The key is the IETF httpapi draft's: a Structured Field string (``"…"``) or, as most clients send it, the bare
value; 1 to 255 printable ASCII characters (a UUID is a good key). The request's fingerprint is the SHA-256 of
its body as sent. A replay carries ``Idempotent-Replayed: true``. Rules: docs/api.md, docs/adr/0038-idempotency-keys.md.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlmodel import Session

from todo_shared import errors
from todo_shared.http.conditional import ETAG_HEADER, version_tag
from todo_shared.http.openapi import error_responses
from todo_shared.models import IDEMPOTENCY_KEY_MAX_LENGTH, Task
from todo_shared.tasks import queries
from todo_shared.tasks.idempotency import IdempotentRequest, StoredAnswer, create_once
from todo_shared.tasks.schemas import TaskCreate, TaskPublic

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MESSAGE = f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, e.g. a UUID."
KEY_DESCRIPTION = (
    "Makes the create safe to retry: the same key with the same body within 24 hours answers the first answer "
    f"again (with `{REPLAYED_HEADER}: true`) and creates nothing; with another body 422; while the first request "
    "is still running 409. A new random value (e.g. a UUID) per task to create."
)


def idempotency_key(raw: str) -> str:
    """The key of an ``Idempotency-Key`` value: the inside of an sf-string, or the bare value."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    # Printable ASCII, but no quote or backslash (an sf-string would have to escape them).
    printable = all(" " <= char <= "~" and char not in '"\\' for char in value)
    if not (1 <= len(value) <= IDEMPOTENCY_KEY_MAX_LENGTH and printable):
        raise errors.InvalidField(IDEMPOTENCY_KEY_HEADER, KEY_MESSAGE)
    return value


async def idempotent_request(
    request: Request,
    key: Annotated[str | None, Header(alias=IDEMPOTENCY_KEY_HEADER, description=KEY_DESCRIPTION)] = None,
) -> IdempotentRequest | None:
    if key is None:
        return None
    body = await request.body()  # already read for the body's parameter: Starlette keeps it
    return IdempotentRequest(idempotency_key(key), hashlib.sha256(body).hexdigest())


IdempotencyDep = Annotated[IdempotentRequest | None, Depends(idempotent_request)]


def stored_response(answer: StoredAnswer) -> Response:
    """The answer exactly as stored: its body's bytes, status and headers, marked when it is a replay."""
    headers = dict(answer.headers)
    if answer.replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(
        answer.body, status_code=answer.status_code, media_type="application/json", headers=headers
    )


def created(task: Task) -> StoredAnswer:
    """A create's 201 as it is sent and stored for its key."""
    return StoredAnswer(201, TaskPublic.of(task).model_dump_json(), {"ETag": version_tag(task.version)})


def create_with_key(*, session: Session, owner_id: str, data: TaskCreate, key: IdempotentRequest) -> Response:
    """The answer to a create sent with an Idempotency-Key: the task's 201, or the first answer to the key."""

    def add() -> Task:
        return queries.add_task(session=session, owner_id=owner_id, data=data)

    return stored_response(
        create_once(session=session, owner_id=owner_id, request=key, create=add, answer_of=created)
    )


_REPLAYED = {REPLAYED_HEADER: {"description": "`true` when this is the first answer to the key, sent again."}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying."}}
# A create's answers: the 201 with its ETag (marked when replayed), and the key's refusals.
CREATE = error_responses(
    errors.IdempotencyKeyInUse,
    errors.IdempotencyKeyReused,
    headers={201: {**ETAG_HEADER, **_REPLAYED}, 409: _RETRY_AFTER},
)
