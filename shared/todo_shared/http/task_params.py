"""The tasks routes' path and query parameters, as the OpenAPI document describes them.

List filters are read as the spec's frontends send them: ``status`` and ``priority`` in any case, ``status``
also as ``complete``/``incomplete`` or ``completed=true|false``; unknown parameters are ignored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from todo_shared.errors import InvalidField
from todo_shared.models import CATEGORY_MAX_LENGTH, Priority
from todo_shared.tasks.fields import DESCRIPTION_PATTERN, MAX_TAGS, STATUS_WORDS, TAG_MAX_LENGTH
from todo_shared.tasks.queries import (
    DEFAULT_ORDER,
    MAX_OFFSET,
    MAX_TASK_ID,
    SortKey,
    SortOrder,
    StatusFilter,
    TaskListQuery,
)
from todo_shared.tasks.service import filter_tags, filter_text

MAX_LIMIT = 100
MAX_QUERY_LENGTH = 1000
STATUS_FILTERS = ("all", *STATUS_WORDS)
_NO_NUL = {"pattern": DESCRIPTION_PATTERN}  # as in the texts filtered

TaskIdPath = Annotated[
    str,
    Path(
        description="The task's id. Anything that is not the id of one of your tasks gives 404.",
        json_schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_TASK_ID},
    ),
]


def _status_filter(status: str | None, completed: bool | None) -> StatusFilter:
    """``status`` (any case) wins over ``completed``; neither means all."""
    if status is None:
        return "all" if completed is None else ("completed" if completed else "pending")
    word = status.lower()
    if word == "all":
        return "all"
    if word not in STATUS_WORDS:
        raise InvalidField(
            "status", "Must be all, pending or completed (also complete, incomplete), in any case."
        )
    return "completed" if STATUS_WORDS[word] else "pending"


def _priority_filter(priority: str | None) -> Priority | None:
    if priority is None:
        return None
    try:
        return Priority(priority.lower())
    except ValueError:
        raise InvalidField("priority", "Must be low, medium or high, in any case.") from None


def task_list_query(
    status: Annotated[
        str | None,
        Query(
            description=(
                "Which tasks: all, pending or completed (complete and incomplete too), in any case. Default: all."
            ),
            json_schema_extra={"enum": list(STATUS_FILTERS)},
        ),
    ] = None,
    completed: Annotated[
        bool | None,
        Query(description="Another way to say status: true (completed) or false (pending); status wins."),
    ] = None,
    priority: Annotated[
        str | None,
        Query(
            description="Only tasks of this priority: low, medium or high, in any case.",
            json_schema_extra={"enum": [each.value for each in Priority]},
        ),
    ] = None,
    tag: Annotated[
        list[str] | None,
        Query(
            description=(
                f"Only tasks with this tag, in any case; repeat it for tasks with every one of them (at most "
                f"{MAX_TAGS}, each at most {TAG_MAX_LENGTH} characters)."
            ),
            json_schema_extra={
                "maxItems": MAX_TAGS,
                "items": {"type": "string", "maxLength": TAG_MAX_LENGTH, **_NO_NUL},
            },
        ),
    ] = None,
    category: Annotated[
        str | None,
        Query(
            max_length=CATEGORY_MAX_LENGTH,
            description="Only tasks of this category, in any case (trimmed; empty means any).",
            json_schema_extra=_NO_NUL,
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY_LENGTH,
            description=(
                "Case-insensitive text to find in the title, the description or a tag (taken literally)."
            ),
            json_schema_extra=_NO_NUL,
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
    if tag is not None and len(tag) > MAX_TAGS:
        raise InvalidField("tag", f"At most {MAX_TAGS} tags.")
    if any(len(each) > TAG_MAX_LENGTH for each in tag or ()):
        raise InvalidField("tag", f"Each tag must be at most {TAG_MAX_LENGTH} characters.")
    return TaskListQuery(
        status=_status_filter(status, completed),
        q=filter_text("q", q),
        sort=sort,
        order=order or DEFAULT_ORDER[sort],
        limit=limit,
        offset=offset,
        priority=_priority_filter(priority),
        tags=filter_tags(tag),
        category=filter_text("category", category),
    )


TaskListDep = Annotated[TaskListQuery, Depends(task_list_query)]
