"""Process-wide resources that hold connections, registered by their owners and dropped on request.

The SnapStart hooks (``todo_shared.runtime.snapstart``) drop connections before a snapshot and after a
restore without importing the modules that own them (the docs function never loads the database).
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
