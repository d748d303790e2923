"""Inside a Lambda invocation, FastAPI's sync routes and dependencies run inline, not in a worker thread.

A Lambda container serves one request at a time: nothing waits, and the hop to a worker thread and back is
pure cost on every invocation (docs/adr/0008-inline-sync-calls.md). The Lambda handler marks its invocation
with ``inline_sync_calls()``; everywhere else (the local server, the tests' in-process client) the worker
threads stay, so concurrent requests still run side by side there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from todo_shared.thirdparty import anyio as anyio_internals

# Set by the Lambda handler for the duration of one invocation; tasks created inside it inherit it.
_inline: ContextVar[bool] = ContextVar("todo_inline_sync_calls", default=False)


def install() -> None:
    """Route anyio's ``to_thread.run_sync`` through the inline check (once per process)."""
    anyio_internals.run_sync_inline_when(_inline.get)


@contextmanager
def inline_sync_calls() -> Iterator[None]:
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)
