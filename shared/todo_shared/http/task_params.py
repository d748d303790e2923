"""The tasks routes' path and query parameters, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from todo_shared.models import DESCRIPTION_PATTERN
from todo_shared.tasks.queries import (
    DEFAULT_ORDER,
    MAX_OFFSET,
    MAX_TASK_ID,
    SortKey,
    SortOrder,
    StatusFilter,
    TaskListQuery,
)
from todo_shared.tasks.service import search_text

MAX_LIMIT = 100
MAX_QUERY_LENGTH = 1000

TaskIdPath = Annotated[
    str,
    Path(
        description="The task's id. Anything that is not the id of one of your tasks gives 404.",
        json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_TASK_ID},
    ),
]


def task_list_query(
    status: Annotated[StatusFilter, Query(description="Which tasks: all, pending or completed.")] = "all",
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description="Case-insensitive text to find in the title or description (taken literally).",
            json_schema_extra={"pattern": DESCRIPTION_PATTERN},  # no NUL, as in the texts searched
        ),
    ] = None,
    sort: Annotated[SortKey, Query(description="Sort key; ties are broken by id.")] = "created",
    order: Annotated[
        SortOrder | None,
        Query(description="asc or desc; default desc for created/updated/priority, asc for title/due_date."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–100.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Tasks to skip; past the end gives an empty page.")
    ] = 0,
) -> TaskListQuery:
    return TaskListQuery(
        status=status,
        q=search_text(q),
        sort=sort,
        order=order or DEFAULT_ORDER[sort],
        limit=limit,
        offset=offset,
    )


TaskListDep = Annotated[TaskListQuery, Depends(task_list_query)]
