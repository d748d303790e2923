"""The tasks service: a caller's own task by its path id, and versioned writes that never lose an update.

A write reads the task locked, checks the caller's expected version, and writes with a compare-and-set on
the version; a write that lost a race (only possible on SQLite, which ignores ``FOR UPDATE``) retries on a
fresh read (docs/adr/0009-optimistic-concurrency.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session

from todo_shared.errors import InvalidField, TaskBusy, TaskNotFound, VersionMismatch
from todo_shared.models import Task
from todo_shared.tasks.fields import clean_optional_text, clean_text
from todo_shared.tasks.queries import (
    MAX_TASK_ID,
    delete_task,
    get_task,
    set_completed,
    update_task,
)
from todo_shared.tasks.schemas import TaskCompletion, TaskUpdate

_TASK_ID = re.compile(r"[0-9]{1,10}")
# Each loss means another write succeeded, so this bound is only reached under extreme contention.
MAX_WRITE_ATTEMPTS = 20

# Whether a write may go ahead at the task's current version (None: unconditionally).
VersionCheck = Callable[[int], bool] | None


def parse_task_id(raw: str) -> int:
    """The id in the path; non-numeric, zero and out-of-range ids cannot name a task (``TaskNotFound``)."""
    if _TASK_ID.fullmatch(raw) is None:
        raise TaskNotFound()
    task_id = int(raw)
    if not 1 <= task_id <= MAX_TASK_ID:
        raise TaskNotFound()
    return task_id


def own_task(*, session: Session, owner_id: str, raw_id: str, for_update: bool = False) -> Task:
    """The caller's task, or ``TaskNotFound`` (also for someone else's: no leak)."""
    task = get_task(session=session, owner_id=owner_id, task_id=parse_task_id(raw_id), for_update=for_update)
    if task is None:
        raise TaskNotFound()
    return task


def write_own_task[T](
    *,
    session: Session,
    owner_id: str,
    raw_id: str,
    version_check: VersionCheck,
    write: Callable[[Task], T | None],
) -> T:
    """Read the task (locked), check the version, write; read again and retry if the write lost a race
    (``write`` returns None when its conditional statement matched no row)."""
    for _ in range(MAX_WRITE_ATTEMPTS):
        task = own_task(session=session, owner_id=owner_id, raw_id=raw_id, for_update=True)
        if version_check is not None and not version_check(task.version):
            raise VersionMismatch(task.version)
        written = write(task)
        if written is not None:
            return written
    raise TaskBusy()


def update_own_task(
    *, session: Session, owner_id: str, raw_id: str, version_check: VersionCheck, data: TaskUpdate
) -> Task:
    return write_own_task(
        session=session,
        owner_id=owner_id,
        raw_id=raw_id,
        version_check=version_check,
        write=lambda task: update_task(session=session, task=task, data=data),
    )


def complete_own_task(
    *,
    session: Session,
    owner_id: str,
    raw_id: str,
    version_check: VersionCheck,
    completion: TaskCompletion | None,
) -> Task:
    """Set the completion state, or toggle it when the body (if any) gives none."""
    return write_own_task(
        session=session,
        owner_id=owner_id,
        raw_id=raw_id,
        version_check=version_check,
        write=lambda task: set_completed(
            session=session,
            task=task,
            completed=None if completion is None else completion.completed_for(task.completed),
        ),
    )


def delete_own_task(*, session: Session, owner_id: str, raw_id: str, version_check: VersionCheck) -> None:
    task_id = parse_task_id(raw_id)
    if version_check is None:
        if not delete_task(session=session, owner_id=owner_id, task_id=task_id):
            raise TaskNotFound()
        return

    def delete_at_version(task: Task) -> Task | None:
        """Delete only while the task is at the version just checked; None when a write got there first."""
        deleted = delete_task(session=session, owner_id=owner_id, task_id=task_id, version=task.version)
        return task if deleted else None

    write_own_task(
        session=session,
        owner_id=owner_id,
        raw_id=raw_id,
        version_check=version_check,
        write=delete_at_version,
    )


def filter_text(name: str, value: str | None) -> str | None:
    """A list filter's text (``q``, ``category``): trimmed, None when empty; NUL characters are refused."""
    try:
        cleaned: str | None = clean_optional_text(value)
    except ValueError as error:
        raise InvalidField(name, str(error)) from None
    return cleaned


def filter_tags(values: list[str] | None) -> tuple[str, ...]:
    """The ``tag`` filters: trimmed, empty ones dropped; NUL characters are refused."""
    wanted: list[str] = []
    for value in values or ():
        try:
            tag = clean_text(value)
        except ValueError as error:
            raise InvalidField("tag", str(error)) from None
        if tag:
            wanted.append(tag)
    return tuple(wanted)
