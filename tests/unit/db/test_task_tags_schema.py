"""Tags and category in the schema: the migration (0007) over existing tasks, up and down, and the index the tag
filter reads on PostgreSQL (docs/adr/0036-task-tags-storage.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from devtools.migrate import migrate
from tests.support.app_state import empty_database
from tests.support.schema_checks import downgrade, plans, scratch_engine, statements_sent
from todo_shared.tasks.queries import TaskListQuery, list_tags, list_tasks

OWNER = "owner-1"


def _query(**filters: Any) -> TaskListQuery:
    return TaskListQuery(status="all", q=None, sort="created", order="desc", limit=50, offset=0, **filters)


def _migrated_over_a_task_from_0006(url: str, engine: Engine) -> None:
    """Migrate to 0006, write a user and a task as that schema had them, then migrate to the head."""
    migrate(url, "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
                "VALUES (:u, 'local', :u, 'owner@example.com', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"u": OWNER},
        )
        connection.execute(
            text(
                "INSERT INTO tasks (user_id, title, completed, priority, created_at, updated_at, version) "
                "VALUES (:u, 'written before tags', false, 'medium', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 3)"
            ),
            {"u": OWNER},
        )
    migrate(url)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_existing_tasks_get_no_tags_and_no_category_and_the_filters_work(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as url, scratch_engine(url) as engine:
        _migrated_over_a_task_from_0006(url, engine)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT title, category, version FROM tasks")).one()
        assert tuple(row) == ("written before tags", None, 3)
        with Session(engine) as session:
            (task,), total = list_tasks(session=session, owner_id=OWNER, query=_query())
            assert (task.tags, task.category, total) == ([], None, 1)
        with Session(engine) as session:
            assert list_tasks(session=session, owner_id=OWNER, query=_query(tags=("work",))) == ([], 0)
            assert list_tags(session=session, owner_id=OWNER) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_down_to_0006_and_up_again_keeps_the_tasks(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as url, scratch_engine(url) as engine:
        _migrated_over_a_task_from_0006(url, engine)
        with engine.begin() as connection:
            connection.execute(text("""UPDATE tasks SET tags = '["work"]', category = 'Home'"""))
        downgrade(url, "0006")
        columns = {column["name"] for column in inspect(engine).get_columns("tasks")}
        assert not columns & {"tags", "category"}
        if kind == "postgres":
            with engine.connect() as connection:
                functions = connection.execute(
                    text("SELECT count(*) FROM pg_proc WHERE proname = 'task_tag_keys'")
                )
                assert functions.scalar_one() == 0
        migrate(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT title FROM tasks")).scalar_one() == "written before tags"


def test_the_tag_filter_reads_the_owners_tag_keys_from_its_index(tmp_path: Path) -> None:
    """The list statement the code sends with a tag filter, explained by PostgreSQL: a bitmap scan of the GIN
    index over (owner, tag) keys, over an owner with thousands of tasks (a few with the tag) beside other owners
    whose every task has it. An index over the tags alone would find all of theirs too."""
    with empty_database("postgres", tmp_path) as url, scratch_engine(url) as engine:
        migrate(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
                "SELECT 'owner-' || n, 'local', 'owner-' || n, 'owner' || n || '@example.com', now(), now() "
                "FROM generate_series(1, 5) AS n"
            )
            connection.exec_driver_sql(
                "INSERT INTO tasks (user_id, title, completed, priority, tags, created_at, updated_at, version) "
                "SELECT 'owner-' || (1 + n % 5), 'task ' || n, false, 'medium', "
                'CASE WHEN n % 5 <> 0 OR n % 5000 = 0 THEN \'["Work", "home"]\'::jsonb ELSE \'["home"]\'::jsonb END, '
                "now(), now(), 1 FROM generate_series(1, 20000) AS n"
            )
            connection.exec_driver_sql("ANALYZE tasks")
        with statements_sent(engine, "tasks") as sent, Session(engine) as session:
            found, total = list_tasks(session=session, owner_id=OWNER, query=_query(tags=("work",)))
        assert (len(found), total) == (4, 4)  # owner-1's 4000 tasks: 5000, 10000, 15000, 20000 have it
        assert len(sent) == 1, sent
        (plan,) = plans(engine, sent)
    assert "Bitmap Index Scan on ix_tasks_user_tags" in plan, plan
