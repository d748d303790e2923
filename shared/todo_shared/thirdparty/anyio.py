"""anyio's ``to_thread.run_sync``, replaced process-wide so that a chosen caller can run sync code inline.

Pinned: anyio 4.16.0. Relies on Starlette and FastAPI looking ``anyio.to_thread.run_sync`` up on the module at
each call (``starlette.concurrency.run_in_threadpool``, ``fastapi.concurrency``), so a replacement installed
once is seen by every sync route and dependency. Why it pays: docs/adr/0008-inline-sync-calls.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio.to_thread

PINNED_VERSION = "4.16.0"
RELIED_ON = ("anyio.to_thread.run_sync",)

_thread_run_sync: Callable[..., Any] | None = None


def run_sync_inline_when(run_inline: Callable[[], bool]) -> None:
    """Make ``anyio.to_thread.run_sync`` call the function directly while ``run_inline()`` is true
    (once per process; later calls change nothing)."""
    global _thread_run_sync
    if _thread_run_sync is not None:
        return
    thread_run_sync = _thread_run_sync = anyio.to_thread.run_sync

    async def run_sync(func: Callable[..., Any], *args: Any, **options: Any) -> Any:
        if run_inline():
            return func(*args)
        return await thread_run_sync(func, *args, **options)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]  # same call shape, looser types
