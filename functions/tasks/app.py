"""The tasks function: the caller's own tasks, under ``/api/tasks`` and ``/api/{user_id}/tasks``.

Rules (validation, order, ETag, If-Match) and check order (401, 403, 400, 404, 412): docs/api.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from todo_shared import errors
from todo_shared.db.engine import read_done
from todo_shared.http.app_factory import create_app
from todo_shared.http.conditional import ETAG_HEADER, VersionCheckDep, version_tag
from todo_shared.http.deps import CurrentUser, SessionDep
from todo_shared.http.idempotency import CREATE, IdempotencyDep, create_with_key
from todo_shared.http.openapi import error_responses
from todo_shared.http.routing import OwnCollectionRoutes
from todo_shared.http.task_lists import PAGING_HEADERS, page_answer, user_path_answer
from todo_shared.http.task_params import TaskIdPath, TaskListDep
from todo_shared.models import Task
from todo_shared.runtime.lambda_handler import make_lambda_handler
from todo_shared.tasks import queries, service
from todo_shared.tasks.schemas import TaskCompletion, TaskCreate, TaskPublic, TasksPublic, TaskUpdate

router = APIRouter(tags=["tasks"])
tasks = OwnCollectionRoutes(router, "tasks")

LIST = error_responses(headers={200: PAGING_HEADERS})
READ = error_responses(errors.TaskNotFound, headers={200: ETAG_HEADER})
WRITE = error_responses(
    errors.TaskNotFound, errors.VersionMismatch, headers={200: ETAG_HEADER, 412: ETAG_HEADER}
)
DELETE = error_responses(errors.TaskNotFound, errors.VersionMismatch, headers={412: ETAG_HEADER})


def answer(response: Response, task: Task) -> TaskPublic:
    response.headers["ETag"] = version_tag(task.version)
    return TaskPublic.of(task)


@tasks.route(
    "GET", "", summary="List your tasks", styles=("own",), responses=LIST, response_model=TasksPublic
)
def list_my_tasks(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, query: TaskListDep
) -> TasksPublic:  # as every read here, its transaction ends before the answer is built (read_done)
    found, total = read_done(session, queries.list_tasks(session=session, owner_id=user.id, query=query))
    return page_answer(request, response, found, total, query)


ARRAY = "List your tasks: a JSON array, the paging in X-Total-Count and Link"


@tasks.route("GET", "", summary=ARRAY, styles=("user",), responses=LIST, response_model=list[TaskPublic])
def list_my_tasks_as_array(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, query: TaskListDep
) -> list[TaskPublic] | Response:
    found, total = read_done(session, queries.list_tasks(session=session, owner_id=user.id, query=query))
    return user_path_answer(page_answer(request, response, found, total, query), response)


# A literal path under …/tasks/: registered before /{task_id}, which would otherwise take it as an id.
@tasks.route("GET", "/tags", summary="List your tags, A to Z (any case)", response_model=list[str])
def list_my_tags(session: SessionDep, user: CurrentUser) -> list[str]:
    return read_done(session, queries.list_tags(session=session, owner_id=user.id))


@tasks.route(
    "POST", "", summary="Create a task", responses=CREATE, status_code=201, response_model=TaskPublic
)
def create_my_task(
    session: SessionDep, user: CurrentUser, data: TaskCreate, response: Response, key: IdempotencyDep
) -> TaskPublic | Response:
    if key is None:
        return answer(response, queries.create_task(session=session, owner_id=user.id, data=data))
    return create_with_key(session=session, owner_id=user.id, data=data, key=key)


@tasks.route("GET", "/{task_id}", summary="Read a task", responses=READ, response_model=TaskPublic)
def read_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, response: Response
) -> TaskPublic:
    task = service.own_task(session=session, owner_id=user.id, raw_id=task_id)
    return answer(response, read_done(session, task))


@tasks.route(
    "PUT",
    "/{task_id}",
    summary="Update a task: the fields given change, the others stay (as PATCH)",
    responses=WRITE,
    response_model=TaskPublic,
)
@tasks.route(
    "PATCH", "/{task_id}", summary="Change some fields of a task", responses=WRITE, response_model=TaskPublic
)
def update_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    check: VersionCheckDep,
    data: TaskUpdate,
    response: Response,
) -> TaskPublic:
    task = service.update_own_task(
        session=session, owner_id=user.id, raw_id=task_id, version_check=check, data=data
    )
    return answer(response, task)


@tasks.route(
    "DELETE",
    "/{task_id}",
    summary="Delete a task",
    responses=DELETE,
    status_code=204,
    response_class=Response,
)
def delete_my_task(
    session: SessionDep, user: CurrentUser, task_id: TaskIdPath, check: VersionCheckDep
) -> Response:
    service.delete_own_task(session=session, owner_id=user.id, raw_id=task_id, version_check=check)
    return Response(status_code=204)


@tasks.route(
    "PATCH",
    "/{task_id}/complete",
    summary='Toggle completion (no body, or {}) or set it ({"completed": bool}, or status)',
    responses=WRITE,
    response_model=TaskPublic,
)
def complete_my_task(
    session: SessionDep,
    user: CurrentUser,
    task_id: TaskIdPath,
    check: VersionCheckDep,
    response: Response,
    data: Annotated[TaskCompletion | None, Body()] = None,
) -> TaskPublic:
    task = service.complete_own_task(
        session=session, owner_id=user.id, raw_id=task_id, version_check=check, completion=data
    )
    return answer(response, task)


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
