"""Process-wide resources, registered by their owners: connections to drop, and modules to load before a snapshot.

The SnapStart hooks (``todo_shared.runtime.snapstart``) prepare the snapshot and drop connections before it
and after a restore, without importing the modules that own them (the docs function never loads the database).
"""

from __future__ import annotations

from collections.abc import Callable

_droppers: list[Callable[[], None]] = []


def on_drop_connections(dropper: Callable[[], None]) -> None:
    """Register ``dropper``: it closes the caller's connections, which are reopened on next use."""
    if dropper not in _droppers:
        _droppers.append(dropper)


def drop_connections() -> None:
    for dropper in _droppers:
        dropper()


_preparers: list[Callable[[], None]] = []


def on_prepare_snapshot(preparer: Callable[[], None]) -> None:
    """Register ``preparer``: it loads what the caller's first use would (modules, never a connection, a
    client or a secret), so that a restored container does not."""
    if preparer not in _preparers:
        _preparers.append(preparer)


def prepare_snapshot() -> None:
    for preparer in _preparers:
        preparer()
