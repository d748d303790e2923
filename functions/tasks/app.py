"""The tasks function: the caller's own tasks, with search, filters, sorting and pagination.

Every route exists twice: under ``/api/tasks`` and under ``/api/{user_id}/tasks`` (the path style some
frontends use); there, a ``user_id`` other than the caller's is refused with 403. Checks run in this order:
401 (token) → 403 (path user) → 400 (request) → 404 (task).

Decisions (the contract is ../../shared/design.md; where it is silent):
- Unknown body fields are refused (400 naming the field): a typo such as ``dueDate`` must not be dropped.
  Unknown query parameters are ignored.
- Types are strict: ``completed`` must be a JSON boolean, text must be a string, ``due_date`` a string.
- ``title`` and ``description`` are trimmed; the limits (1–200, ≤ 1000 characters, i.e. code points) apply
  after trimming; an empty or whitespace-only description is stored as null. NUL characters are refused.
- ``due_date``: ISO 8601 (``2026-12-01``, ``2026-12-01T17:00``, ``2026-12-01T17:00:00.5+02:00``). A date
  alone means 00:00 UTC that day; a date-time without an offset is taken as UTC; answered in UTC with ``Z``.
- ``PUT`` replaces the task, so its body needs every field (``description``/``due_date`` may be null);
  ``PATCH`` changes only the fields given. ``updated_at`` moves when a write changes a value (a write that
  changes nothing, such as a retried ``complete`` with a body, leaves it); ``created_at`` never moves.
- A task id that is not a positive decimal integer within the database's range, like a missing task or
  someone else's, gives the same 404.
- Lists: ties are broken by id in the direction of the order. ``sort=priority`` ranks low < medium < high;
  ``sort=title`` is case-insensitive for ASCII letters, then by code point; with ``sort=due_date`` a task
  without a due date counts as due after every date (last in asc, first in desc): desc is always exactly
  asc reversed. ``order`` defaults to desc for created/updated/priority and asc for title/due_date.
  ``limit`` is 1–100 (default 50), ``offset`` 0–2147483647; past the end the page is empty. ``q`` is
  trimmed and matched literally (``%`` and ``_`` are not wildcards), case-insensitively, in the title or the
  description (for all letters on PostgreSQL, ASCII letters only on the local SQLite).
- Lost updates (optimistic concurrency): every task has a ``version`` (1 when created, one more per write that
  changes it; a write that changes nothing keeps it). A response carrying one task sends it as a strong
  ``ETag: "<version>"``. PUT, PATCH, DELETE and ``…/complete`` accept ``If-Match`` (``*`` or entity tags;
  weak tags never match): if no tag names the current version the answer is 412 ``precondition_failed``
  with the current ``ETag``, and nothing is written. A malformed ``If-Match`` is 400. Without ``If-Match`` the
  last write wins, as before. 412 comes after 404, so another user's task is still just 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.params import Depends as DependsParam
from tasks_queries import (
    DEFAULT_ORDER,
    MAX_OFFSET,
    MAX_TASK_ID,
    SortKey,
    SortOrder,
    StatusFilter,
    create_task,
    delete_task,
    get_task,
    list_tasks,
    replace_task,
    set_completed,
    update_task,
)

from todo_shared.app_factory import create_app
from todo_shared.auth import CurrentUser
from todo_shared.dependencies import SessionDep
from todo_shared.errors import RETRY_AFTER_SECONDS, ApiError, ErrorBody, FieldError, FieldValidationError
from todo_shared.lambda_handler import make_lambda_handler
from todo_shared.models import (
    Task,
    TaskCompletion,
    TaskCreate,
    TaskPublic,
    TaskReplace,
    TasksPublic,
    TaskUpdate,
    clean_text,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 1000
_TASK_ID = re.compile(r"[0-9]{1,10}")
# If-Match (RFC 9110 §13.1.1): "*" or a comma-separated list of entity tags, W/"…" (weak) or "…" (strong);
# empty list elements are allowed. The opaque tag's characters: 0x21, 0x23–0x7E and obs-text 0x80–0xFF.
_ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
# Each run of blanks has exactly one quantifier that can take it, so a refusal never backtracks badly.
_ENTITY_TAG_LIST = re.compile(rf"[ \t]*(?:{_ENTITY_TAG}[ \t]*)?(?:,[ \t]*(?:{_ENTITY_TAG}[ \t]*)?)*")
_ENTITY_TAG_PARTS = re.compile(r'(W/)?"([^"]*)"')
# A write that lost a race retries on a fresh read. Only SQLite can lose one (PostgreSQL holds the row lock),
# and each loss means another write succeeded, so this bound is only reached under extreme contention.
MAX_WRITE_ATTEMPTS = 20

router = APIRouter(tags=["tasks"])


def require_own_path(
    user_id: Annotated[str, Path(description="Your own user id (another user's gives 403).")],
    user: CurrentUser,
) -> None:
    if user_id != user.id:
        raise ApiError(403, "forbidden", "You can only access your own tasks.")


_UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, invalid or expired token."}
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such task among yours (also for someone else's)."}
}
_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "The path names another user."}
}
_USER_SCOPED: list[DependsParam] = [Depends(require_own_path)]
_ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The task\'s version in double quotes (e.g. "3"), for If-Match.',
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    }
}
_PRECONDITION_FAILED: dict[int | str, dict[str, Any]] = {
    412: {
        "model": ErrorBody,
        "description": "If-Match names no current version of the task; nothing was written. The ETag "
        "header holds the current version.",
        "headers": _ETAG_HEADER,
    }
}
# A write of one task: 200 with its new ETag, 404, and 412 for a stale If-Match.
_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": _ETAG_HEADER},
    **_NOT_FOUND,
    **_PRECONDITION_FAILED,
}


def _route[E: Callable[..., Any]](
    method: str, suffix: str, *, summary: str, responses: dict[int | str, dict[str, Any]], **options: Any
) -> Callable[[E], E]:
    """Register an endpoint under both path styles."""

    def register(endpoint: E) -> E:
        router.add_api_route(
            f"/api/tasks{suffix}",
            endpoint,
            methods=[method],
            summary=summary,
            responses={**_UNAUTHENTICATED, **responses},
            **options,
        )
        router.add_api_route(
            f"/api/{{user_id}}/tasks{suffix}",
            endpoint,
            methods=[method],
            summary=f"{summary} (user-scoped path)",
            responses={**_UNAUTHENTICATED, **_FORBIDDEN, **responses},
            dependencies=_USER_SCOPED,
            **options,
        )
        return endpoint

    return register


TaskIdPath = Annotated[
    str,
    Path(
        description="The task's id. Anything that is not the id of one of your tasks gives 404.",
        json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_TASK_ID},
    ),
]


def task_not_found() -> ApiError:
    return ApiError(404, "task_not_found", "Task not found.")


def parse_task_id(raw: str) -> int:
    """The id in the path, or 404: non-numeric, zero and out-of-range ids cannot name a task."""
    if _TASK_ID.fullmatch(raw) is None:
        raise task_not_found()
    task_id = int(raw)
    if not 1 <= task_id <= MAX_TASK_ID:
        raise task_not_found()
    return task_id


def _owned_task(session: SessionDep, user_id: str, task_id: int, *, for_update: bool = False) -> Task:
    task = get_task(session=session, owner_id=user_id, task_id=task_id, for_update=for_update)
    if task is None:
        raise task_not_found()
    return task


# --- ETag / If-Match ----------------------------------------------------------------------------------


def etag(task: Task) -> str:
    """The task's strong entity tag: its version, quoted. Versions only grow, so a tag names one state."""
    return f'"{task.version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    """A parsed If-Match: ``*``, or the opaque values of its strong tags (weak tags can never match)."""

    any_version: bool
    strong_tags: frozenset[str]

    def matches(self, task: Task) -> bool:
        return self.any_version or str(task.version) in self.strong_tags


def parse_if_match(value: str) -> IfMatch:
    if value.strip(" \t") == "*":
        return IfMatch(any_version=True, strong_tags=frozenset())
    if _ENTITY_TAG_LIST.fullmatch(value) is None or '"' not in value:
        message = 'Must be * or one or more quoted entity tags, such as "3" (the task\'s ETag).'
        raise FieldValidationError([FieldError(field="If-Match", message=message)])
    tags = frozenset(opaque for weak, opaque in _ENTITY_TAG_PARTS.findall(value) if not weak)
    return IfMatch(any_version=False, strong_tags=tags)


def if_match_header(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='Only write if the task is still at this version: its ETag (e.g. "3"), several '
            "comma-separated, or * (any version). Otherwise 412 and nothing changes.",
        ),
    ] = None,
) -> IfMatch | None:
    if if_match is None:
        return None
    # Repeated If-Match lines form one list (RFC 9110 §5.3); the parameter above holds only the first.
    return parse_if_match(", ".join(request.headers.getlist("if-match")))


IfMatchDep = Annotated[IfMatch | None, Depends(if_match_header)]


def require_match(if_match: IfMatch | None, task: Task) -> None:
    if if_match is not None and not if_match.matches(task):
        raise ApiError(
            412,
            "precondition_failed",
            "The task was changed by someone else since you read it; reload it and try again.",
            headers={"ETag": etag(task)},
        )


def task_busy() -> ApiError:
    return ApiError(
        503,
        "task_busy",
        "The task is being changed by many requests at once; please retry shortly.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _answer(response: Response, task: Task) -> TaskPublic:
    response.headers["ETag"] = etag(task)
    return TaskPublic.model_validate(task)


def _write_own_task[T](
    *,
    session: SessionDep,
    user_id: str,
    raw_id: str,
    if_match: IfMatch | None,
    write: Callable[[Task], T | None],
) -> T:
    """Read the task (locked), check If-Match, write; read again and retry if the write lost a race
    (``write`` returns None when its conditional statement matched no row)."""
    task_id = parse_task_id(raw_id)
    for _ in range(MAX_WRITE_ATTEMPTS):
        task = _owned_task(session, user_id, task_id, for_update=True)
        require_match(if_match, task)
        written = write(task)
        if written is not None:
            return written
    raise task_busy()


def _search_text(q: str | None) -> str | None:
    if q is None:
        return None
    try:
        cleaned = clean_text(q)
    except ValueError as error:
        raise FieldValidationError([FieldError(field="q", message=str(error))]) from None
    return cleaned or None


@_route("GET", "", summary="List your tasks", responses={}, response_model=TasksPublic)
def list_my_tasks(
    session: SessionDep,
    user: CurrentUser,
    status: Annotated[StatusFilter, Query(description="Which tasks: all, pending or completed.")] = "all",
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="Case-insensitive text to find in the title or description (taken literally).",
        ),
    ] = None,
    sort: Annotated[SortKey, Query(description="Sort key; ties are broken by id.")] = "created",
    order: Annotated[
        SortOrder | None,
        Query(description="asc or desc; default desc for created/updated/priority, asc for title/due_date."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–100.")] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Tasks to skip; past the end gives an empty page.")
    ] = 0,
) -> TasksPublic:
    tasks, total = list_tasks(
        session=session,
        owner_id=user.id,
        status=status,
        q=_search_text(q),
        sort=sort,
        order=order or DEFAULT_ORDER[sort],
        limit=limit,
        offset=offset,
    )
    return TasksPublic(
        tasks=[TaskPublic.model_validate(task) for task in tasks], total=total, limit=limit, offset=offset
    )


@_route(
    "POST",
    "",
    summary="Create a task",
    responses={201: {"headers": _ETAG_HEADER}},
    status_code=201,
    response_model=TaskPublic,
)
def create_my_task(
    session: SessionDep, user: CurrentUser, data: TaskCreate, response: Response
) -> TaskPublic:
    return _answer(response, create_task(session=session, owner_id=user.id, data=data))


@_route(
    "GET",
    "/{task_id}",
    summary="Read a task",
    responses={200: {"headers": _ETAG_HEADER}, **_NOT_FOUND},
    response_model=TaskPublic,
)
def read_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, response: Response
) -> TaskPublic:
    return _answer(response, _owned_task(session, user.id, parse_task_id(task_id)))


@_route(
    "PUT",
    "/{task_id}",
    summary="Replace a task (every field required)",
    responses=_WRITE_RESPONSES,
    response_model=TaskPublic,
)
def replace_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    if_match: IfMatchDep,
    data: TaskReplace,
    response: Response,
) -> TaskPublic:
    task = _write_own_task(
        session=session,
        user_id=user.id,
        raw_id=task_id,
        if_match=if_match,
        write=lambda current: replace_task(session=session, task=current, data=data),
    )
    return _answer(response, task)


@_route(
    "PATCH",
    "/{task_id}",
    summary="Change some fields of a task",
    responses=_WRITE_RESPONSES,
    response_model=TaskPublic,
)
def update_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    if_match: IfMatchDep,
    data: TaskUpdate,
    response: Response,
) -> TaskPublic:
    task = _write_own_task(
        session=session,
        user_id=user.id,
        raw_id=task_id,
        if_match=if_match,
        write=lambda current: update_task(session=session, task=current, data=data),
    )
    return _answer(response, task)


@_route(
    "DELETE",
    "/{task_id}",
    summary="Delete a task",
    responses={**_NOT_FOUND, **_PRECONDITION_FAILED},
    status_code=204,
    response_class=Response,
)
def delete_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, if_match: IfMatchDep
) -> Response:
    if if_match is None:
        if not delete_task(session=session, owner_id=user.id, task_id=parse_task_id(task_id)):
            raise task_not_found()
        return Response(status_code=204)

    def delete_at_version(current: Task) -> Task | None:
        """Delete only while the task is at the version just checked; None when a write got there first."""
        deleted = delete_task(
            session=session, owner_id=user.id, task_id=parse_task_id(task_id), version=current.version
        )
        return current if deleted else None

    _write_own_task(
        session=session, user_id=user.id, raw_id=task_id, if_match=if_match, write=delete_at_version
    )
    return Response(status_code=204)


@_route(
    "PATCH",
    "/{task_id}/complete",
    summary='Toggle completion (no body) or set it ({"completed": bool})',
    responses=_WRITE_RESPONSES,
    response_model=TaskPublic,
)
def complete_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    if_match: IfMatchDep,
    response: Response,
    data: Annotated[TaskCompletion | None, Body()] = None,
) -> TaskPublic:
    completed = None if data is None else data.completed
    task = _write_own_task(
        session=session,
        user_id=user.id,
        raw_id=task_id,
        if_match=if_match,
        write=lambda current: set_completed(session=session, task=current, completed=completed),
    )
    return _answer(response, task)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
