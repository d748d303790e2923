"""Lambda SnapStart runtime hooks (the template's ``SnapStart`` parameter turns SnapStart on).

With SnapStart, Lambda runs the init phase once per published version, snapshots the memory, and starts
every new container from that snapshot. Two things must not be copied into it:

- open connections: a restored socket is dead (and the same one would be shared by every restored
  container), so the engine is disposed of before the snapshot and rebuilt on first use;
- pseudo-random state: ``random``'s generator would repeat in every container restored from one snapshot,
  so it is reseeded after restore. ``secrets``, ``os.urandom`` and ``uuid.uuid4`` (token ids, user ids)
  read the kernel on each call and need nothing.

Before the snapshot the modules a first request would import are loaded (the secret readers, the database
driver: ``lifecycle.on_prepare_snapshot``), never a client or a connection. Settings and secrets are read
lazily, at the first request after the restore, so the snapshot holds no secret either. The hook library ships only with Lambda's managed Python runtimes; elsewhere
registration is a no-op.
"""

from __future__ import annotations

import random

from todo_shared import lifecycle


def before_snapshot() -> None:
    lifecycle.prepare_snapshot()
    lifecycle.drop_connections()


def after_restore() -> None:
    random.seed()
    lifecycle.drop_connections()


def register_snapstart_hooks() -> bool:
    """Register the hooks with Lambda; False where the runtime's hook library is absent (not on Lambda)."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found]  # only in Lambda's runtime
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True
