"""A task list's answer per path style, and its paging in headers (docs/adr/0035-task-list-shape-per-path-style.md).

``/api/tasks`` answers ``{tasks, total, limit, offset}``; ``/api/{user_id}/tasks`` (the spec's path) a bare
JSON array, unless ``USER_PATH_TASK_LIST=object``. Both carry the paging in ``X-Total-Count`` and ``Link``
(RFC 8288: ``first``, ``prev``, ``next``, ``last``, each with the request's own filters).
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from todo_shared.config.settings import TaskListShape, get_settings
from todo_shared.models import Task
from todo_shared.tasks.queries import TaskListQuery
from todo_shared.tasks.schemas import TaskPublic, TasksPublic

USER_PATH_LIST = "/api/{user_id}/tasks"
PAGE_SCHEMA = "TasksPublic"

# The paging headers as the OpenAPI document declares them (on every list answer).
PAGING_HEADERS: dict[str, Any] = {
    "X-Total-Count": {
        "description": "How many tasks match the filters, on every page.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Link": {
        "description": (
            "RFC 8288 links to the first, previous, next and last pages, e.g. </api/tasks?limit=20&offset=20>; "
            'rel="next" (prev and next only where such a page exists), with the same filters.'
        ),
        "required": True,
        "schema": {"type": "string"},
    },
}


def paging_headers(request: Request, *, total: int, limit: int, offset: int) -> dict[str, str]:
    """``X-Total-Count`` and ``Link`` for the page at ``offset``: links are the request's path and query, with
    ``limit`` and ``offset`` set for each page (relative references, resolved against the request's URL)."""
    kept = [
        (name, value) for name, value in request.query_params.multi_items() if name not in ("limit", "offset")
    ]
    path = quote(request.url.path, safe="/")

    def link(page_offset: int, rel: str) -> str:
        query = urlencode([*kept, ("limit", str(limit)), ("offset", str(page_offset))])
        return f'<{path}?{query}>; rel="{rel}"'

    last = max(total - 1, 0) // limit * limit
    links = [link(0, "first")]
    if offset > 0:
        links.append(link(max(offset - limit, 0), "prev"))
    if offset + limit < total:
        links.append(link(offset + limit, "next"))
    links.append(link(last, "last"))
    return {"X-Total-Count": str(total), "Link": ", ".join(links)}


def page_answer(
    request: Request, response: Response, found: list[Task], total: int, query: TaskListQuery
) -> TasksPublic:
    """One page as the page object, its paging also in the headers."""
    response.headers.update(paging_headers(request, total=total, limit=query.limit, offset=query.offset))
    return TasksPublic(
        tasks=[TaskPublic.of(task) for task in found], total=total, limit=query.limit, offset=query.offset
    )


def user_path_answer(page: TasksPublic, response: Response) -> list[TaskPublic] | Response:
    """The spec's path: the page's tasks as a bare array, or the page object where the deployment's frontend
    reads ``{tasks}`` there (``USER_PATH_TASK_LIST=object``; the document served says so)."""
    if get_settings().user_path_task_list == "object":
        return JSONResponse(page.model_dump(mode="json"), headers=dict(response.headers))
    return page.tasks


def describe_user_path_list(document: dict[str, Any], shape: TaskListShape) -> dict[str, Any]:
    """The OpenAPI document as the API answers with ``shape``: the committed document says ``array`` for the
    spec's path; with ``object`` that path's list answers the page object, and the document says so."""
    if shape == "array":
        return document
    described = copy.deepcopy(document)
    operation = described["paths"][USER_PATH_LIST]["get"]
    operation["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": f"#/components/schemas/{PAGE_SCHEMA}"
    }
    operation["responses"]["200"]["description"] = "One page of your tasks (USER_PATH_TASK_LIST=object)."
    return described
