"""Data access for the tasks function. Every statement is scoped to the owner's user id.

Keyword-only functions over a ``Session`` (one short session per request, committed explicitly). A list is
one statement (the page plus ``count(*) OVER ()``); only an empty page past the first runs a second COUNT.
Writes lock the row (``SELECT … FOR UPDATE``, a row lock inside the transaction, which is safe through
PgBouncer's transaction mode), so concurrent toggles and updates of one task serialise on PostgreSQL. Each
write is also a compare-and-set on the task's ``version`` (``UPDATE … SET version = version + 1 WHERE
version = <the version read>``): SQLite ignores ``FOR UPDATE``, and there a write that lost the race changes
nothing and is retried by the caller on a fresh read, so no write is ever lost either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Exists,
    UnaryExpression,
    bindparam,
    delete,
    false,
    func,
    literal,
    literal_column,
    or_,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from todo_shared.models import PRIORITY_IS_HIGH_SQL, TAG_KEYS_FUNCTION, Priority, Task, utc_now
from todo_shared.tasks.schemas import TaskCreate, TaskUpdate

StatusFilter = Literal["all", "pending", "completed"]
SortKey = Literal["created", "updated", "title", "due_date", "priority"]
SortOrder = Literal["asc", "desc"]

# Task ids are PostgreSQL INTEGERs: a larger id cannot exist, and must not reach the driver (SQLite's
# overflows past 2**63). No user can own more rows than there are ids, so no offset needs to be larger.
MAX_TASK_ID = 2**31 - 1
MAX_OFFSET = MAX_TASK_ID
# Without an explicit order: newest / most important first; titles A→Z and the soonest due date first.
DEFAULT_ORDER: dict[SortKey, SortOrder] = {
    "created": "desc",
    "updated": "desc",
    "priority": "desc",
    "title": "asc",
    "due_date": "asc",
}
LIKE_ESCAPE = "\\"


def like_pattern(needle: str) -> str:
    """``%needle%`` with LIKE's wildcards escaped, so ``%`` and ``_`` in a search match themselves."""
    escaped = needle.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return f"%{escaped}%"


def _sort_keys(sort: SortKey, dialect: str) -> tuple[ColumnElement[Any] | Mapped[Any], ...]:
    """The sort key's columns, each matching an index led by user_id (see todo_shared.models)."""
    if sort == "created":
        return (col(Task.created_at),)
    if sort == "updated":
        return (col(Task.updated_at),)
    if sort == "due_date":
        return (col(Task.due_date),)
    if sort == "title":
        # ASCII case-insensitive, then code point order: lower() under "C" folds ASCII only on PostgreSQL,
        # as SQLite's lower() does, and "C"/BINARY compare code points.
        title = col(Task.title)
        return (func.lower(title.collate("C") if dialect == "postgresql" else title),)
    # low < medium < high as (priority = 'high', priority): false < true, then 'low' < 'medium'.
    return literal_column(PRIORITY_IS_HIGH_SQL), col(Task.priority)


def ordering(sort: SortKey, order: SortOrder, dialect: str) -> tuple[UnaryExpression[Any], ...]:
    """ORDER BY for a list: the sort key, then id, all in one direction (a total, stable order).

    desc is exactly asc reversed. A missing due date sorts after every date: last in asc, first in desc.
    """
    columns = (*_sort_keys(sort, dialect), col(Task.id))
    terms = [column.asc() if order == "asc" else column.desc() for column in columns]
    if sort == "due_date":
        # Explicit, as PostgreSQL's default (and SQLite's opposite default) would differ.
        terms[0] = terms[0].nulls_last() if order == "asc" else terms[0].nulls_first()
    return tuple(terms)


@dataclass(frozen=True, slots=True)
class TaskListQuery:
    """Which of the owner's tasks, in what order, which page. Texts are already trimmed (None: no filter);
    ``tags`` are all required (AND)."""

    status: StatusFilter
    q: str | None
    sort: SortKey
    order: SortOrder
    limit: int
    offset: int
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    category: str | None = None


def _tag_elements(dialect: str) -> Any:
    """Each tag of the task being filtered, as a table with one ``value`` column (correlated)."""
    function = func.jsonb_array_elements_text if dialect == "postgresql" else func.json_each
    return function(col(Task.tags)).table_valued("value")


def _has_tag_like(pattern: str, dialect: str) -> Exists:
    tag = _tag_elements(dialect)
    return select(literal(1)).select_from(tag).where(tag.c.value.ilike(pattern, escape=LIKE_ESCAPE)).exists()


def _has_tags(owner_id: str, tags: tuple[str, ...], dialect: str) -> list[ColumnElement[bool]]:
    """The task has every tag of ``tags`` (in any case).

    PostgreSQL compares the task's (owner, lower-cased tag) keys with the wanted ones through the same
    function, which the GIN index ix_tasks_user_tags holds: only the owner's tagged tasks are read. SQLite
    looks through each of the owner's tasks' tags."""
    if dialect == "postgresql":
        keys = getattr(func, TAG_KEYS_FUNCTION)
        wanted = keys(
            bindparam("owner_for_tags", owner_id), bindparam("wanted_tags", list(tags), type_=JSONB)
        )
        return [keys(col(Task.user_id), col(Task.tags)).op("@>")(wanted)]
    conditions: list[ColumnElement[bool]] = []
    for wanted_tag in tags:
        tag = _tag_elements(dialect)
        match = func.lower(tag.c.value) == func.lower(wanted_tag)
        conditions.append(select(literal(1)).select_from(tag).where(match).exists())
    return conditions


def _conditions(owner_id: str, query: TaskListQuery, dialect: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Task.user_id) == owner_id]
    if query.status == "pending":
        conditions.append(col(Task.completed) == false())
    elif query.status == "completed":
        conditions.append(col(Task.completed) == true())
    if query.priority is not None:
        conditions.append(col(Task.priority) == query.priority.value)
    if query.category is not None:
        conditions.append(func.lower(col(Task.category)) == func.lower(query.category))
    if query.tags:
        conditions.extend(_has_tags(owner_id, query.tags, dialect))
    if query.q:
        pattern = like_pattern(query.q)
        conditions.append(
            or_(
                col(Task.title).ilike(pattern, escape=LIKE_ESCAPE),
                col(Task.description).ilike(pattern, escape=LIKE_ESCAPE),
                _has_tag_like(pattern, dialect),
            )
        )
    return conditions


def list_tasks(*, session: Session, owner_id: str, query: TaskListQuery) -> tuple[list[Task], int]:
    """One page of the owner's tasks and the number of tasks matching the filters."""
    sort, order, limit, offset = query.sort, query.order, query.limit, query.offset
    dialect = session.get_bind().dialect.name
    conditions = _conditions(owner_id, query, dialect)
    statement = (
        select(Task, func.count().over())
        .where(*conditions)
        .order_by(*ordering(sort, order, dialect))
        .limit(limit)
        .offset(offset)
    )
    rows = session.exec(statement).all()
    if rows:
        return [task for task, _ in rows], int(rows[0][1])
    if offset == 0:
        return [], 0
    # An empty page past the first: the window count had no row to ride on.
    total = session.exec(select(func.count()).select_from(Task).where(*conditions)).one()
    return [], int(total)


def get_task(*, session: Session, owner_id: str, task_id: int, for_update: bool = False) -> Task | None:
    statement = select(Task).where(col(Task.id) == task_id, col(Task.user_id) == owner_id)
    if for_update:
        # populate_existing: a retry after a lost race must see the row as it is now, not the session's copy.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return session.exec(statement).first()


def list_tags(*, session: Session, owner_id: str) -> list[str]:
    """The owner's tags, one per tag in lower case (its first spelling in code point order), sorted by their
    lower case."""
    tag = _tag_elements(session.get_bind().dialect.name)
    key = func.lower(tag.c.value)
    statement = (
        select(func.min(tag.c.value))
        .select_from(Task)
        .join(tag, true())
        .where(col(Task.user_id) == owner_id)
        .group_by(key)
        .order_by(key)
    )
    return [str(value) for value in session.exec(statement).all()]


def add_task(*, session: Session, owner_id: str, data: TaskCreate) -> Task:
    """Insert the task (its id comes back with the INSERT); the caller commits."""
    now = utc_now()
    # Only the task's own columns: the read-only fields a body may carry are never applied.
    task = Task(**data.row(), user_id=owner_id, created_at=now, updated_at=now)
    session.add(task)
    session.flush()
    return task


def create_task(*, session: Session, owner_id: str, data: TaskCreate) -> Task:
    task = add_task(session=session, owner_id=owner_id, data=data)
    session.commit()
    return task


def next_updated_at(previous: datetime) -> datetime:
    """Now, but always after ``previous``: ``updated_at`` moves forward even if clocks disagree a little."""
    now = utc_now()
    return now if now > previous else previous + timedelta(microseconds=1)


def apply_changes(*, session: Session, task: Task, changes: dict[str, Any]) -> Task | None:
    """Write the fields that differ from ``task`` (as read), move ``updated_at`` and add one to ``version``.

    One UPDATE, conditional on the version read: ``None`` when the row has changed since (the caller reads
    it again and retries). A write that changes nothing touches no row, so neither ``updated_at`` nor the
    version (and hence the ETag) moves: a retried set is not a change.
    """
    changed = {name: value for name, value in changes.items() if getattr(task, name) != value}
    if not changed:
        session.commit()  # ends the transaction, releasing the row lock
        return task
    statement = (
        update(Task)
        .where(col(Task.id) == task.id, col(Task.user_id) == task.user_id, col(Task.version) == task.version)
        .values(**changed, updated_at=next_updated_at(task.updated_at), version=col(Task.version) + 1)
        .returning(Task)
        # The row as written (RETURNING) replaces the session's copy; no extra SELECT.
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    written = session.scalars(statement).first()
    if written is None:
        session.rollback()
        return None
    session.commit()
    return written


def update_task(*, session: Session, task: Task, data: TaskUpdate) -> Task | None:
    return apply_changes(session=session, task=task, changes=data.changes(task))


def set_completed(*, session: Session, task: Task, completed: bool | None) -> Task | None:
    """``completed=None`` toggles; a value sets it (so a retried request changes nothing more)."""
    value = (not task.completed) if completed is None else completed
    return apply_changes(session=session, task=task, changes={"completed": value})


def delete_task(*, session: Session, owner_id: str, task_id: int, version: int | None = None) -> bool:
    """Delete the owner's task, only while it is at ``version`` if one is given; False if no row matched."""
    conditions = [col(Task.id) == task_id, col(Task.user_id) == owner_id]
    if version is not None:
        conditions.append(col(Task.version) == version)
    result = session.exec(delete(Task).where(*conditions))
    session.commit()
    return bool(result.rowcount)
