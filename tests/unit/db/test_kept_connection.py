"""The kept connection's saved round trips: BEGIN sent with the first statement, ROLLBACK not waited for, and a
ping only when the connection may be dead. Each keeps what it saves a round trip on: the same transactions."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from tests.support.app_state import Backend
from tests.support.round_trips import RoundTrips
from todo_shared.config.settings import get_settings
from todo_shared.db import deadline, pg8000_dialect
from todo_shared.db.engine import build_engine

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.parametrize("database", ["postgres", "pgbouncer"], indirect=True),
]


@pytest.fixture
def engine(database: Backend) -> Iterator[Engine]:
    engine = build_engine(database.url)
    with engine.connect() as connection:  # opens the kept connection: later checkouts reuse it
        connection.execute(text("SELECT 1"))
    yield engine
    engine.dispose()


@pytest.fixture
def direct(database: Backend) -> Iterator[Engine]:
    """PostgreSQL itself, behind the engine's back."""
    engine = build_engine(database.direct_url, keep_connections=False)
    yield engine
    engine.dispose()


def test_a_transaction_that_runs_nothing_sends_nothing(engine: Engine, round_trips: RoundTrips) -> None:
    with engine.connect() as connection:
        connection.commit()
    with engine.connect():
        pass
    assert round_trips.count == 0


@pytest.mark.parametrize(
    "statement",
    ["SELECT txid_current()", "SELECT txid_current() + CAST(:zero AS bigint)"],
    ids=["simple", "params"],
)
def test_the_first_statement_carries_begin_in_its_round_trip(
    engine: Engine, round_trips: RoundTrips, statement: str
) -> None:
    with engine.connect() as connection:
        first = connection.execute(text(statement), {"zero": 0}).scalar_one()
        assert round_trips.count == 1
        second = connection.execute(text("SELECT txid_current()")).scalar_one()
        connection.rollback()
    assert first == second  # one transaction: BEGIN ran before the first statement


@pytest.mark.parametrize(
    "statement",
    ["SELECT current_setting('statement_timeout')", "SELECT current_setting(CAST(:name AS text))"],
    ids=["simple", "params"],
)
def test_the_requests_deadline_rides_with_begin_as_set_local_and_ends_with_the_transaction(
    engine: Engine, round_trips: RoundTrips, statement: str
) -> None:
    """The server's statement_timeout for what is left of the budget costs no round trip, and through PgBouncer's
    transaction mode nothing of it stays on the server connection the next transaction is given."""
    with deadline.open_budget(invocation_left_seconds=None), engine.connect() as connection:
        timeout = connection.execute(text(statement), {"name": "statement_timeout"}).scalar_one()
        assert round_trips.count == 1
        connection.rollback()
    budget_ms = get_settings().request_deadline_seconds * 1000
    assert timeout.endswith("ms") or timeout.endswith("s")
    assert 0 < _milliseconds(timeout) <= budget_ms
    with engine.connect() as connection:  # no request, no budget: the server's default again
        assert connection.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def _milliseconds(setting: str) -> float:
    """PostgreSQL shows 9750 ms as "9750ms" and 10000 ms as "10s"."""
    if setting.endswith("ms"):
        return float(setting[:-2])
    return float(setting[:-1]) * 1000


@pytest.fixture
def scratch_table(direct: Engine) -> Iterator[str]:
    """A table of its own, dropped afterwards (the database's schema is checked against the models)."""
    with direct.connect() as setup:
        setup.execute(text("CREATE TABLE kept_rollback (v text)"))
        setup.commit()
    yield "kept_rollback"
    with direct.connect() as cleanup:
        cleanup.execute(text("DROP TABLE kept_rollback"))
        cleanup.commit()


def test_a_rollback_is_not_waited_for_and_still_undoes_the_write(
    engine: Engine, direct: Engine, round_trips: RoundTrips, scratch_table: str
) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO kept_rollback VALUES (:v)"), {"v": "undone"})
        written = round_trips.count
        connection.rollback()
        assert round_trips.count == written  # sent, not waited for
        # The next statement first reads the rollback's answer, which has arrived meanwhile.
        assert connection.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 0
    with direct.connect() as check:
        assert check.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 0


def test_a_rollback_left_unread_ends_the_transaction_on_the_server(engine: Engine, direct: Engine) -> None:
    """The server is idle, not "idle in transaction": nothing holds a PgBouncer server connection."""
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    deadline = time.monotonic() + 10
    state = None
    while time.monotonic() < deadline:
        with direct.connect() as check:
            state = check.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one_or_none()
        if state != "idle in transaction":
            break
        time.sleep(0.05)
    assert state in ("idle", None)  # None: PgBouncer closed that server connection since


def test_an_error_in_the_first_statement_fails_its_transaction_as_before(engine: Engine) -> None:
    with engine.connect() as connection:
        with pytest.raises(ProgrammingError, match="no_such_table"):
            connection.execute(text("SELECT * FROM no_such_table WHERE 1 = :one"), {"one": 1})
        connection.rollback()
        assert connection.execute(text("SELECT 1")).scalar_one() == 1


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, round_trips: RoundTrips) -> None:
    with engine.connect() as connection:
        assert round_trips.count == 0
        connection.execute(text("SELECT 1"))
    assert round_trips.count == 1


def test_a_connection_idle_past_the_limit_is_pinged(
    engine: Engine, round_trips: RoundTrips, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle counts from the last answer waited for: reading the previous ROLLBACK's answer at checkout (it
    came while the connection sat idle) does not make the connection fresh."""
    monkeypatch.setattr(pg8000_dialect, "PING_AFTER_IDLE_SECONDS", 0.2)
    time.sleep(0.3)
    with engine.connect():
        assert round_trips.count == 1


def test_a_connection_the_server_closed_is_replaced_at_checkout(
    engine: Engine, direct: Engine, database: Backend, request: pytest.FixtureRequest
) -> None:
    """The server's close makes the socket readable: the connection is pinged, found dead and replaced
    within the same checkout, long before the idle limit."""
    with engine.connect() as connection:
        before = connection.connection.dbapi_connection
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        connection.rollback()
    assert before is not None
    if database.name == "pgbouncer":
        request.getfixturevalue("pgbouncer").restart()  # PgBouncer itself closes its clients' connections
    else:
        with direct.connect() as killer:
            assert killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    deadline = time.monotonic() + 10
    while before.known_alive(max_idle_seconds=60) and time.monotonic() < deadline:
        time.sleep(0.05)  # until the close reaches the kept socket
    assert not before.known_alive(max_idle_seconds=60)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        after = connection.connection.dbapi_connection
    assert after is not before
    assert after is not None
    assert after.known_alive(max_idle_seconds=60)


def test_a_write_sent_with_commit_travels_in_its_flight(
    engine: Engine, direct: Engine, round_trips: RoundTrips, scratch_table: str
) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO kept_rollback VALUES (:v)"), {"v": "first"})
        round_trips.count = 0
        with connection.connection.dbapi_connection.sending_with_commit():  # type: ignore[union-attr]
            connection.execute(text("INSERT INTO kept_rollback VALUES (:v)"), {"v": "with the commit"})
        assert round_trips.count == 0  # written, not sent
        connection.commit()
        assert round_trips.count == 1
    with direct.connect() as check:
        assert check.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 2


def test_an_error_in_a_write_sent_with_commit_is_the_commits_and_nothing_holds(
    engine: Engine, direct: Engine, scratch_table: str
) -> None:
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO kept_rollback VALUES (:v)"), {"v": "undone"})
        with connection.connection.dbapi_connection.sending_with_commit():  # type: ignore[union-attr]
            connection.execute(
                text("INSERT INTO kept_rollback VALUES (CAST(1 / :zero AS text))"), {"zero": 0}
            )
        with pytest.raises(DBAPIError, match="division by zero"):
            connection.commit()
        connection.rollback()
        assert connection.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 0
    with direct.connect() as check:
        assert check.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 0


def test_a_statement_before_the_commit_sends_the_held_write_first(
    engine: Engine, round_trips: RoundTrips, scratch_table: str
) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        with connection.connection.dbapi_connection.sending_with_commit():  # type: ignore[union-attr]
            connection.execute(text("INSERT INTO kept_rollback VALUES (:v)"), {"v": "held"})
        round_trips.count = 0
        assert connection.execute(text("SELECT count(*) FROM kept_rollback")).scalar_one() == 1
        assert round_trips.count == 2  # the held write on its own, then the statement
        connection.rollback()
