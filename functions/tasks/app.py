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
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
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
from todo_shared.errors import ApiError, ErrorBody, FieldError, FieldValidationError
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


def _owned_task(session: SessionDep, user_id: str, raw_id: str, *, for_update: bool = False) -> Task:
    task = get_task(session=session, owner_id=user_id, task_id=parse_task_id(raw_id), for_update=for_update)
    if task is None:
        raise task_not_found()
    return task


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


@_route("POST", "", summary="Create a task", responses={}, status_code=201, response_model=TaskPublic)
def create_my_task(session: SessionDep, user: CurrentUser, data: TaskCreate) -> TaskPublic:
    return TaskPublic.model_validate(create_task(session=session, owner_id=user.id, data=data))


@_route("GET", "/{task_id}", summary="Read a task", responses=_NOT_FOUND, response_model=TaskPublic)
def read_my_task(session: SessionDep, user: CurrentUser, task_id: TaskIdPath) -> TaskPublic:
    return TaskPublic.model_validate(_owned_task(session, user.id, task_id))


@_route(
    "PUT",
    "/{task_id}",
    summary="Replace a task (every field required)",
    responses=_NOT_FOUND,
    response_model=TaskPublic,
)
def replace_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, data: TaskReplace
) -> TaskPublic:
    task = _owned_task(session, user.id, task_id, for_update=True)
    return TaskPublic.model_validate(replace_task(session=session, task=task, data=data))


@_route(
    "PATCH",
    "/{task_id}",
    summary="Change some fields of a task",
    responses=_NOT_FOUND,
    response_model=TaskPublic,
)
def update_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, data: TaskUpdate
) -> TaskPublic:
    task = _owned_task(session, user.id, task_id, for_update=True)
    return TaskPublic.model_validate(update_task(session=session, task=task, data=data))


@_route(
    "DELETE",
    "/{task_id}",
    summary="Delete a task",
    responses=_NOT_FOUND,
    status_code=204,
    response_class=Response,
)
def delete_my_task(session: SessionDep, user: CurrentUser, task_id: TaskIdPath) -> Response:
    if not delete_task(session=session, owner_id=user.id, task_id=parse_task_id(task_id)):
        raise task_not_found()
    return Response(status_code=204)


@_route(
    "PATCH",
    "/{task_id}/complete",
    summary='Toggle completion (no body) or set it ({"completed": bool})',
    responses=_NOT_FOUND,
    response_model=TaskPublic,
)
def complete_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    data: Annotated[TaskCompletion | None, Body()] = None,
) -> TaskPublic:
    task = _owned_task(session, user.id, task_id, for_update=True)
    completed = None if data is None else data.completed
    return TaskPublic.model_validate(set_completed(session=session, task=task, completed=completed))


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
