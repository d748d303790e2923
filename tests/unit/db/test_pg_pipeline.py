"""The pipelined pg8000 connection: one round trip per statement, same results and errors as pg8000's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pg8000.converters
import pg8000.core
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from tests.support.app_state import Backend
from tests.support.round_trips import RoundTrips
from todo_shared.db.engine import build_engine
from todo_shared.thirdparty.pg8000 import PipelinedConnection

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True),
]


@pytest.fixture
def engine(database: Backend) -> Iterator[Engine]:
    engine = build_engine(database.url)
    yield engine
    engine.dispose()


def test_the_engine_uses_the_pipelined_connection(engine: Engine) -> None:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, PipelinedConnection)


def test_a_parameterised_statement_and_commit_take_one_round_trip_each(
    engine: Engine, round_trips: RoundTrips
) -> None:
    with engine.connect() as connection:  # opens the pooled connection
        connection.execute(text("SELECT 1"))
        connection.commit()
    with engine.connect() as connection:  # answered a moment ago: no ping at checkout
        round_trips.count = 0
        value = connection.execute(text("SELECT CAST(:a AS integer) + 1"), {"a": 41}).scalar()
        assert round_trips.count == 1
        connection.commit()
        assert round_trips.count == 2
    assert value == 42


def test_values_round_trip_unchanged(engine: Engine) -> None:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT CAST(:t AS text), CAST(:n AS integer), CAST(:b AS boolean)"),
            {"t": "é ' \" ; -- 😀", "n": None, "b": True},
        ).one()
        connection.rollback()
    assert tuple(row) == ("é ' \" ; -- 😀", None, True)


def test_a_unique_violation_is_still_an_integrity_error(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE pipeline_unique (v text UNIQUE) ON COMMIT DROP"))
        connection.execute(text("INSERT INTO pipeline_unique VALUES (:v)"), {"v": "x"})
        with pytest.raises(IntegrityError):
            connection.execute(text("INSERT INTO pipeline_unique VALUES (:v)"), {"v": "x"})
        connection.rollback()


def test_the_connection_is_usable_after_an_error_and_rollback(engine: Engine) -> None:
    with engine.connect() as connection:
        with pytest.raises(ProgrammingError):
            connection.execute(text("SELECT * FROM no_such_table WHERE id = :i"), {"i": 1})
        connection.rollback()
        with pytest.raises(ProgrammingError):  # an error at execute, after a good parse
            connection.execute(text("SELECT 1 / CAST(:z AS integer)"), {"z": 0})
        connection.rollback()
        assert (
            connection.execute(text("SELECT CAST(:a AS text)"), {"a": "still fine"}).scalar() == "still fine"
        )
        connection.rollback()


def test_writes_report_their_row_counts_and_returning_rows(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE pipeline_rows (id serial, v text) ON COMMIT DROP"))
        inserted = connection.execute(
            text("INSERT INTO pipeline_rows (v) VALUES (:a), (:b) RETURNING id"), {"a": "a", "b": "b"}
        ).scalars()
        assert list(inserted) == [1, 2]
        assert connection.execute(text("UPDATE pipeline_rows SET v = :v"), {"v": "z"}).rowcount == 2
        assert connection.execute(text("DELETE FROM pipeline_rows WHERE id = :i"), {"i": 9}).rowcount == 0
        connection.rollback()


def test_timestamps_and_dates_read_as_pg8000_reads_them(engine: Engine) -> None:
    values = [
        "2026-11-24 22:01:52.85729+00",
        "2026-11-24 22:01:52+05:30",
        "2026-11-24 22:01:52.1-03:00",
        "infinity",
        "12026-01-01 00:00:00+00",
    ]
    with engine.connect() as connection:
        for value in values:
            ours = connection.execute(text("SELECT CAST(:v AS timestamptz)"), {"v": value}).scalar()
            raw = connection.execute(
                text("SELECT CAST(CAST(:v AS timestamptz) AS text)"), {"v": value}
            ).scalar()
            assert ours == pg8000.converters.timestamptz_in(raw), value
        naive = connection.execute(
            text("SELECT CAST(:v AS timestamp)"), {"v": "2026-11-24 22:01:52.5"}
        ).scalar()
        day = connection.execute(text("SELECT CAST(:v AS date)"), {"v": "2026-11-24"}).scalar()
        connection.rollback()
    assert naive == datetime(2026, 11, 24, 22, 1, 52, 500000)
    assert day == date(2026, 11, 24)


def test_placeholder_translation_is_pg8000s_own_remembered(engine: Engine) -> None:
    from pg8000 import dbapi, legacy

    from todo_shared.thirdparty import pg8000 as pg8000_internals

    assert legacy.convert_paramstyle is pg8000_internals.convert_paramstyle
    query = "SELECT '%s', \"%s\", %s -- %s\\n FROM t WHERE a = %s AND b = E'\\\\'%s'"
    for _ in range(2):  # computed, then remembered
        assert pg8000_internals.convert_paramstyle("format", query, (1, 2)) == dbapi.convert_paramstyle(
            "format", query, (1, 2)
        )
    named = "SELECT :a, :b, :a"
    assert pg8000_internals.convert_paramstyle("named", named, {"a": 1, "b": 2}) == dbapi.convert_paramstyle(
        "named", named, {"a": 1, "b": 2}
    )
    with engine.connect() as connection:  # and statements still reach the server intact
        row = connection.execute(text("SELECT '%s', CAST(:a AS text)"), {"a": "%s"}).one()
        connection.rollback()
    assert tuple(row) == ("%s", "%s")
