"""One time budget per request for all of its database waits: connecting, the pooler's queue, each statement.

The request's middleware opens the budget (``open_budget``) with what the Lambda invocation has left, if it runs
in Lambda; the budget ends ``REQUEST_DEADLINE_SECONDS`` after the request started, and in Lambda no later than
``MARGIN_SECONDS`` before the invocation's own end, so that the API answers 503 itself, with its CORS headers,
before API Gateway gives up. The driver reads it before every wait (``wait_timeout``) and sends the server a
``statement_timeout`` for what is left with each transaction's ``BEGIN`` (``transaction_settings``).
Why: docs/adr/0037-request-deadline.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from todo_shared.config.settings import get_settings

# Left in the invocation after the deadline: building the 503, Mangum and Powertools, Lambda's own overhead.
MARGIN_SECONDS = 3.0
# The server cancels a statement this much before the client would stop waiting for it: a cancelled statement
# leaves the connection usable, where a client that stops reading must drop it.
SERVER_HEADSTART_SECONDS = 0.25


class DeadlineExceededError(TimeoutError):
    """The request's time for the database ran out (the cause of the driver's network error)."""


@dataclass(slots=True)
class _Budget:
    started: float  # time.monotonic() when the request arrived
    invocation_left: float | None  # seconds the Lambda invocation had left then (None outside Lambda)
    ends: float | None = None  # the deadline on the monotonic clock, worked out on first use

    def deadline(self) -> float:
        if self.ends is None:
            seconds = get_settings().request_deadline_seconds
            if self.invocation_left is not None:
                seconds = min(seconds, self.invocation_left - MARGIN_SECONDS)
            self.ends = self.started + seconds
        return self.ends


_budget: ContextVar[_Budget | None] = ContextVar("todo_request_budget", default=None)


@contextmanager
def open_budget(*, invocation_left_seconds: float | None) -> Iterator[None]:
    """The current request's budget, from now. Settings are read only when the database is first used."""
    token = _budget.set(_Budget(time.monotonic(), invocation_left_seconds))
    try:
        yield
    finally:
        _budget.reset(token)


def seconds_left() -> float | None:
    """What is left of the current request's budget (negative once it has passed); None outside a request."""
    budget = _budget.get()
    return None if budget is None else budget.deadline() - time.monotonic()


def wait_timeout(default: float) -> tuple[float, bool]:
    """The socket timeout for the next wait, and whether it is the budget's rather than ``default``.
    Raises ``DeadlineExceededError`` when nothing is left."""
    left = seconds_left()
    if left is None or left >= default:
        return default, False
    if left <= 0:
        raise DeadlineExceededError("the request's time for the database ran out")
    return left, True


def transaction_settings() -> str | None:
    """Sent with a transaction's ``BEGIN``: the server cancels any statement that would outlast the budget.
    ``SET LOCAL`` ends with the transaction, so nothing stays on a server connection PgBouncer hands on."""
    left = seconds_left()
    if left is None:
        return None
    milliseconds = max(1, int((left - SERVER_HEADSTART_SECONDS) * 1000))
    return f"SET LOCAL statement_timeout = {milliseconds}"
