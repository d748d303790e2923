"""Inside a Lambda invocation, FastAPI's sync routes and dependencies run inline, not in a worker thread.

FastAPI runs every ``def`` route and dependency through anyio's thread pool, so that blocking work cannot
stall the event loop while other requests wait. A Lambda container serves one request at a time: nothing
waits, and the hop to a worker thread and back is pure cost on every invocation (docs/performance.md).
The Lambda handler marks its invocation with ``inline_sync_calls()``; within it, ``anyio.to_thread.run_sync``
calls the function directly. Everywhere else (the local server, the tests' in-process client) the worker
threads stay, so concurrent requests still run side by side there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import anyio.to_thread

# Set by the Lambda handler for the duration of one invocation; tasks created inside it inherit it.
_inline: ContextVar[bool] = ContextVar("todo_inline_sync_calls", default=False)
_thread_run_sync: Callable[..., Any] | None = None


async def _run_sync(func: Callable[..., Any], *args: Any, **options: Any) -> Any:
    if _inline.get():
        return func(*args)
    assert _thread_run_sync is not None
    return await _thread_run_sync(func, *args, **options)


def install() -> None:
    """Route anyio's ``to_thread.run_sync`` through ``_run_sync`` (once per process)."""
    global _thread_run_sync
    if _thread_run_sync is None:
        _thread_run_sync = anyio.to_thread.run_sync
        anyio.to_thread.run_sync = _run_sync  # type: ignore[assignment]  # same call shape, looser types


@contextmanager
def inline_sync_calls() -> Iterator[None]:
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)
