"""SQLAlchemy's pg8000 dialect with a pre-ping that costs a round trip only when the kept connection may be dead.

Loaded by SQLAlchemy's dialect registry when the first engine with ``KEPT_DRIVER`` is created
(``todo_shared.db.pg8000_driver`` registers it). Why the ping may be skipped: docs/adr/0033-round-trips-at-the-floor.md.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql.pg8000 import PGDialect_pg8000

# A connection that answered within this many seconds, with nothing arrived since, is used without a ping.
# Poolers and NAT gateways drop idle connections after minutes; a close they send shows up at once (the socket
# turns readable), so only a connection dropped silently within this window fails its request (with a 503).
PING_AFTER_IDLE_SECONDS = 30.0


class KeptConnectionDialect(PGDialect_pg8000):
    # It compiles SQL exactly as its parent does, so SQLAlchemy's statement cache stays on (it is off, with a
    # warning, for a dialect class that does not say so itself).
    supports_statement_cache = True

    def do_ping(self, dbapi_connection: Any) -> bool:
        known_alive = getattr(dbapi_connection, "known_alive", None)
        if known_alive is not None and known_alive(max_idle_seconds=PING_AFTER_IDLE_SECONDS):
            return True
        pinged: bool = super().do_ping(dbapi_connection)
        return pinged
