"""Lambda containers at scale, under faults: N processes, each importing the real tasks handler and keeping its own
connection, through a real PgBouncer with a small pool and the delay relay, in front of a private PostgreSQL that
is restarted, as PgBouncer is, during the run (bench/scale.py runs it; ``make reliability`` with more containers).

Checked: no 500 and no status outside each operation's expected ones; every answer within the request deadline
plus a margin; every acknowledged create (each sent with an Idempotency-Key and retried with it on 503 or 409) in
the database exactly once; and every container answering again after the faults, with no restart.
"""

from __future__ import annotations

import os

import pytest

from bench import scale
from tests.support.app_state import require_private_stack

pytestmark = pytest.mark.reliability

# Small for CI (about a minute on two cores); `make reliability` asks for more.
CONTAINERS = int(os.environ.get("TODO_SCALE_CONTAINERS", "6"))
SECONDS = float(os.environ.get("TODO_SCALE_SECONDS", "15"))
DEADLINE_SECONDS = 2.0


def test_containers_through_a_small_pool_survive_pgbouncer_and_postgresql_restarts() -> None:
    require_private_stack()
    run = scale.run_containers(
        containers=CONTAINERS,
        seconds=SECONDS,
        pool=2,
        rtt_ms=1.0,
        deadline_seconds=DEADLINE_SECONDS,
        faults=True,
    )
    report = run.report()
    assert run.problems == [], report
    assert len(run.recovered) == CONTAINERS
    assert all(seconds is not None for seconds in run.recovered)
    # The run did work through the faults: creates were acknowledged, and the database holds each once.
    assert run.acknowledged
    assert run.statuses["create"]["201"] == len(run.acknowledged)
    assert (
        max(max(values) for values in run.latencies.values())
        < (DEADLINE_SECONDS + scale.ANSWER_MARGIN_SECONDS) * 1000
    )
