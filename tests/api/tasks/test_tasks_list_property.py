"""Property: ``GET /api/tasks`` answers exactly what a plain-Python model of the same query answers.

Random task sets (inserted directly, with timestamps, due dates, tags and categories drawn from small pools so
that ties and matches are frequent) and random ``status``/``q``/``tag``/``category``/``sort``/``order``/
``limit``/``offset``, on every database and through both clients. The model: filter (``q`` in the title, the
description or a tag; every ``tag``, whole and in any case; the ``category`` in any case), then sort by the key
and id in one direction (desc is asc reversed; a missing due date sorts after every date), then slice.

Text case: searching is case-insensitive for ASCII letters everywhere, but PostgreSQL also folds other
letters (É/é) while SQLite does not. So the search needles are ASCII (plus LIKE's ``%``, ``_`` and ``\\``,
which must match literally), and the non-ASCII letters in titles are ones whose lower case is not ASCII
(no Kelvin sign or dotted İ), on which both databases and the model agree. Title sorting folds ASCII only
on every database, so titles may hold any of these characters.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.accounts import create_account, insert_tasks
from tests.support.app_state import Backend
from todo_shared.models import Priority, Task

TITLE_CHARS = "abcXYZ xy%_\\-01éÉß漢😀"
NEEDLE_CHARS = "abcxyzXYZ %_\\-0"
PRIORITY_RANK = {"low": 0, "medium": 1, "high": 2}
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

_BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TIMESTAMPS = [
    _BASE,
    _BASE + timedelta(microseconds=1),
    _BASE + timedelta(seconds=1),
    _BASE + timedelta(days=3),
]
DUE_DATES: list[datetime | None] = [
    None,
    datetime(2026, 12, 1, tzinfo=UTC),
    datetime(2026, 12, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(1999, 1, 1, tzinfo=UTC),
    datetime(2100, 6, 30, 23, 59, 59, tzinfo=UTC),
]

# ASCII only: tags and categories compare case-insensitively for ASCII letters on every database.
TAGS = ["home", "Home", "work", "a%b", "x_y", "shop"]
CATEGORIES: list[str | None] = [None, "Errands", "errands", "Work"]

Status = Literal["all", "pending", "completed"]
Sort = Literal["created", "updated", "title", "due_date", "priority"]


@dataclass(frozen=True)
class TaskRow:
    title: str
    description: str | None
    completed: bool
    priority: str
    due_date: datetime | None
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()
    category: str | None = None


@dataclass(frozen=True)
class ListQuery:
    status: Status | None
    q: str | None
    sort: Sort | None
    order: Literal["asc", "desc"] | None
    limit: int | None
    offset: int | None
    tags: tuple[str, ...] = ()
    category: str | None = None

    def params(self) -> dict[str, str | int | list[str]]:
        names = ("status", "q", "sort", "order", "limit", "offset", "category")
        values: dict[str, Any] = {name: getattr(self, name) for name in names}
        if self.tags:
            values["tag"] = list(self.tags)
        return {name: value for name, value in values.items() if value is not None}


def _text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=TITLE_CHARS, min_size=1, max_size=max_size).map(str.strip).filter(bool)


task_rows = st.builds(
    TaskRow,
    title=_text(12),
    description=st.none() | _text(20),
    completed=st.booleans(),
    priority=st.sampled_from(list(PRIORITY_RANK)),
    due_date=st.sampled_from(DUE_DATES),
    created_at=st.sampled_from(TIMESTAMPS),
    updated_at=st.sampled_from(TIMESTAMPS),
    tags=st.lists(st.sampled_from(TAGS), max_size=3).map(lambda tags: _spelled_once(tags)),
    category=st.sampled_from(CATEGORIES),
)
list_queries = st.builds(
    ListQuery,
    status=st.none() | st.sampled_from(["all", "pending", "completed"]),
    # LIKE's wildcards and escape character often, alone or next to letters: they must match literally.
    q=st.none()
    | st.text(alphabet=NEEDLE_CHARS, max_size=4)
    | st.sampled_from(["%", "_", "\\", "a%", "_b", "x\\"]),
    sort=st.none() | st.sampled_from(["created", "updated", "title", "due_date", "priority"]),
    order=st.none() | st.sampled_from(["asc", "desc"]),
    limit=st.none() | st.integers(min_value=1, max_value=6) | st.just(100),
    offset=st.none() | st.integers(min_value=0, max_value=14),
    tags=st.lists(st.sampled_from([*TAGS, "HOME", "nope"]), max_size=2).map(tuple),
    category=st.none() | st.sampled_from(["errands", "WORK", "nope"]),
)


# Every ordering over the whole set, whatever the random queries drew: ties and missing due dates show up in
# each example's full order, not only when a random query happens to page over them.
SWEEP = [
    ListQuery(None, None, sort, order, 100, None)
    for sort in ("created", "updated", "title", "due_date", "priority")
    for order in ("asc", "desc")
]


def _fold(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _spelled_once(tags: list[str]) -> tuple[str, ...]:
    """Tags as the API stores them: the first spelling of each (compared in lower case)."""
    kept: dict[str, str] = {}
    for tag in tags:
        kept.setdefault(_fold(tag), tag)
    return tuple(kept.values())


def _sort_key(row: TaskRow, sort: Sort) -> Any:
    if sort == "created":
        return row.created_at
    if sort == "updated":
        return row.updated_at
    if sort == "title":
        return _fold(row.title)
    if sort == "priority":
        return PRIORITY_RANK[row.priority]
    return (row.due_date is None, row.due_date or _BASE)  # no due date: after every date


def expected_page(rows: dict[int, TaskRow], query: ListQuery) -> tuple[list[int], int]:
    """The model: ids of the page and the total, from the rows as inserted."""
    matching = list(rows.items())
    if query.status == "pending":
        matching = [(task_id, row) for task_id, row in matching if not row.completed]
    elif query.status == "completed":
        matching = [(task_id, row) for task_id, row in matching if row.completed]
    needle = _fold((query.q or "").strip())
    if needle:
        matching = [
            (task_id, row)
            for task_id, row in matching
            if needle in _fold(row.title)
            or (row.description is not None and needle in _fold(row.description))
            or any(needle in _fold(tag) for tag in row.tags)
        ]
    for wanted in query.tags:
        matching = [item for item in matching if _fold(wanted) in {_fold(tag) for tag in item[1].tags}]
    if query.category is not None:
        matching = [item for item in matching if _fold(item[1].category or "") == _fold(query.category)]
    sort: Sort = query.sort or "created"
    default_order = "asc" if sort in ("title", "due_date") else "desc"
    matching.sort(key=lambda item: (_sort_key(item[1], sort), item[0]))
    if (query.order or default_order) == "desc":
        matching.reverse()
    offset = query.offset or 0
    limit = query.limit or 50
    return [task_id for task_id, _ in matching[offset : offset + limit]], len(matching)


def _insert(database: Backend, rows: list[TaskRow]) -> tuple[dict[str, str], dict[int, TaskRow]]:
    account = create_account(database)
    tasks = insert_tasks(
        database,
        (
            Task(
                user_id=account.user_id,
                title=row.title,
                description=row.description,
                completed=row.completed,
                priority=Priority(row.priority),
                due_date=row.due_date,
                created_at=row.created_at,
                updated_at=row.updated_at,
                tags=list(row.tags),
                category=row.category,
            )
            for row in rows
        ),
    )
    by_id: dict[int, TaskRow] = {}
    for task, row in zip(tasks, rows, strict=True):
        assert task.id is not None
        by_id[task.id] = row
    return account.headers, by_id


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(task_rows, max_size=14), queries=st.lists(list_queries, min_size=1, max_size=4))
def test_list_matches_the_model(
    api: httpx.Client, database: Backend, rows: list[TaskRow], queries: list[ListQuery]
) -> None:
    headers, by_id = _insert(database, rows)
    for query in [*queries, *SWEEP]:
        response = api.get("/api/tasks", params=query.params(), headers=headers)
        assert response.status_code == 200, (query, response.text)
        page = response.json()
        expected_ids, expected_total = expected_page(by_id, query)
        assert [task["id"] for task in page["tasks"]] == expected_ids, query
        assert page["total"] == expected_total, query
        assert page["limit"] == (query.limit or 50)
        assert page["offset"] == (query.offset or 0)
        for task in page["tasks"]:
            row = by_id[task["id"]]
            assert task["title"] == row.title
            assert task["description"] == row.description
            assert task["completed"] is row.completed
            assert task["priority"] == row.priority
            due = None if task["due_date"] is None else datetime.fromisoformat(task["due_date"])
            assert due == row.due_date
            assert datetime.fromisoformat(task["created_at"]) == row.created_at
            assert datetime.fromisoformat(task["updated_at"]) == row.updated_at
            assert (task["tags"], task["category"]) == (list(row.tags), row.category)


def test_the_model_itself_on_a_known_case() -> None:
    """The model must be right for the property to mean anything: a hand-checked example."""
    at = TIMESTAMPS
    rows = {
        1: TaskRow("Banana", None, False, "low", None, at[1], at[0]),
        2: TaskRow("apple", "50% off", True, "high", DUE_DATES[1], at[0], at[2]),
        3: TaskRow("Cherry", "a_b", False, "high", DUE_DATES[3], at[1], at[1]),
        4: TaskRow("apple", None, False, "medium", DUE_DATES[1], at[3], at[3]),
    }
    assert expected_page(rows, ListQuery(None, None, None, None, None, None)) == ([4, 3, 1, 2], 4)
    assert expected_page(rows, ListQuery(None, None, "title", None, None, None)) == ([2, 4, 1, 3], 4)
    assert expected_page(rows, ListQuery(None, None, "due_date", None, None, None)) == ([3, 2, 4, 1], 4)
    assert expected_page(rows, ListQuery(None, None, "due_date", "desc", None, None)) == ([1, 4, 2, 3], 4)
    assert expected_page(rows, ListQuery(None, None, "priority", None, 2, 1)) == ([2, 4], 4)
    assert expected_page(rows, ListQuery("pending", "A", "title", "desc", None, None)) == ([3, 1, 4], 3)
    assert expected_page(rows, ListQuery(None, "%", None, None, None, None)) == ([2], 1)
    assert expected_page(rows, ListQuery(None, " _ ", None, None, None, None)) == ([3], 1)
    assert expected_page(rows, ListQuery("completed", None, None, None, None, 1)) == ([], 1)
    tagged = {
        1: TaskRow("a", None, False, "low", None, at[0], at[0], ("Home", "work"), "Errands"),
        2: TaskRow("b", None, False, "low", None, at[1], at[1], ("home",), None),
        3: TaskRow("c", None, False, "low", None, at[2], at[2], ("a%b",), "errands"),
    }
    assert expected_page(tagged, ListQuery(None, None, None, None, None, None, ("HOME",))) == ([2, 1], 2)
    assert expected_page(tagged, ListQuery(None, None, None, None, None, None, ("home", "Work"))) == ([1], 1)
    assert expected_page(tagged, ListQuery(None, "%", None, None, None, None)) == ([3], 1)
    assert expected_page(tagged, ListQuery(None, None, None, None, None, None, (), "ERRANDS")) == ([3, 1], 2)
