"""pg8000 with one network round trip per statement instead of three.

pg8000 (1.31) sends a statement with parameters as Parse+Sync, then Describe+Sync, then Bind+Execute+Sync,
and waits for the server after each: three round trips, and COMMIT and ROLLBACK go the same way. On Lambda
each round trip to Neon costs network latency that no local figure shows. This connection sends Parse, Bind,
Describe (portal), Execute and Sync in one flight, as libpq's ``PQexecParams`` does:

- the answers come back in the same order (ParseComplete, BindComplete, RowDescription or NoData, rows,
  CommandComplete, ReadyForQuery), which pg8000's message loop already handles;
- an error at any step makes the server skip the rest up to the Sync and answer ErrorResponse then
  ReadyForQuery, which pg8000 turns into the same exception as before;
- nothing in Bind depends on the Describe answer: pg8000 encodes parameters from their Python types and
  asks for every result column in text format.

The whole exchange stays inside one Sync, so it is safe through PgBouncer in transaction mode (the
statement cannot be parsed on one server connection and executed on another). COPY keeps pg8000's path.
The base class is the one ``pg8000.connect`` (what SQLAlchemy calls) builds, so errors are classified as
before (a unique violation is still an ``IntegrityError``).
"""

from __future__ import annotations

from typing import Any

from pg8000 import legacy
from pg8000.core import DESCRIBE, NULL_BYTE, PORTAL, SYNC_MSG, Context, _flush, _write, make_params


class PipelinedConnection(legacy.Connection):  # type: ignore[misc]  # pg8000 ships no type hints
    def execute_unnamed(self, statement: str, vals: Any = (), oids: Any = (), stream: Any = None) -> Context:
        if stream is not None:
            return super().execute_unnamed(statement, vals=vals, oids=oids, stream=stream)
        context = Context(statement, stream=None)
        self.send_PARSE(NULL_BYTE, statement, oids)
        self.send_BIND(NULL_BYTE, make_params(self.py_types, vals))
        self._send_message(DESCRIBE, PORTAL + NULL_BYTE)
        self.send_EXECUTE()
        _write(self._sock, SYNC_MSG)
        _flush(self._sock)
        self.handle_messages(context)
        return context
