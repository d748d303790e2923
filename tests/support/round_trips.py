"""Counts the waits for the server: each wait for ReadyForQuery is one round trip (on AWS, one network round
trip to Neon). The answer to a ROLLBACK sent as the previous use ended is read without waiting: not counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pg8000.core
import pytest


class RoundTrips:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def counting_round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    counter = RoundTrips()
    original = pg8000.core.CoreConnection.handle_messages

    def counted(self: Any, context: Any) -> Any:
        if not getattr(self, "reading_earlier_reply", False):
            counter.count += 1
        return original(self, context)

    monkeypatch.setattr(pg8000.core.CoreConnection, "handle_messages", counted)
    yield counter
