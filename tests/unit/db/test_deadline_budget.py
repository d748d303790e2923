"""The request's budget for the database: REQUEST_DEADLINE_SECONDS, and in Lambda at most what the invocation
has left less the margin; each wait gets what is left, and nothing once it has run out."""

from __future__ import annotations

import pytest

from tests.support.app_state import settings_from
from todo_shared.db import deadline


def test_outside_a_request_there_is_no_budget() -> None:
    assert deadline.seconds_left() is None
    assert deadline.wait_timeout(10.0) == (10.0, False)
    assert deadline.transaction_settings() is None


def test_the_setting_bounds_the_budget() -> None:
    with settings_from(REQUEST_DEADLINE_SECONDS="4"), deadline.open_budget(invocation_left_seconds=None):
        left = deadline.seconds_left()
        assert left is not None
        assert 3.5 < left <= 4
        timeout, by_deadline = deadline.wait_timeout(10.0)
        assert by_deadline
        assert timeout <= 4
        assert deadline.wait_timeout(2.0) == (2.0, False)  # the socket timeout, when it is the shorter


def test_in_lambda_the_budget_ends_the_margin_before_the_invocation() -> None:
    with settings_from(REQUEST_DEADLINE_SECONDS="10"), deadline.open_budget(invocation_left_seconds=5.0):
        left = deadline.seconds_left()
        assert left is not None
        assert 1.5 < left <= 5.0 - deadline.MARGIN_SECONDS


def test_the_server_is_told_to_give_up_a_little_before_the_client() -> None:
    with settings_from(REQUEST_DEADLINE_SECONDS="2"), deadline.open_budget(invocation_left_seconds=None):
        sent = deadline.transaction_settings()
    assert sent is not None
    assert sent.startswith("SET LOCAL statement_timeout = ")
    milliseconds = int(sent.rsplit(" ", 1)[1])
    assert 1000 < milliseconds <= 2000 - deadline.SERVER_HEADSTART_SECONDS * 1000


def test_once_the_budget_has_run_out_no_wait_starts() -> None:
    with deadline.open_budget(invocation_left_seconds=1.0):  # less than the margin: nothing to spend
        with pytest.raises(deadline.DeadlineExceededError):
            deadline.wait_timeout(10.0)
        assert deadline.transaction_settings() == "SET LOCAL statement_timeout = 1"
