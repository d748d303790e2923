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

It also caches pg8000's translation of ``%s`` placeholders into ``$1``: pg8000 rescans every statement
character by character in Python (about 0.1 ms for a typical SELECT), though SQLAlchemy sends the same few
statements again and again. And it reads timestamps with ``datetime.fromisoformat`` (about 0.1 µs) instead of pg8000's ``strptime``
(about 5 µs, some 0.3 ms for a page of 20 tasks); what it cannot read (``infinity``, BC or 5-digit years)
still goes to pg8000's own parser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pg8000 import converters, legacy
from pg8000.core import DESCRIBE, NULL_BYTE, PORTAL, SYNC_MSG, Context, _flush, _write, make_params

TIMESTAMP_OID = 1114
TIMESTAMPTZ_OID = 1184
DATE_OID = 1082


def _fast[T](parse: Callable[[str], T], fallback: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            return fallback(text)

    return read


# PostgreSQL's ISO output ("2026-11-24 22:01:52.85729+00") is what ``fromisoformat`` reads since Python 3.11.
FAST_READERS: dict[int, Callable[[str], Any]] = {
    TIMESTAMPTZ_OID: _fast(datetime.fromisoformat, converters.timestamptz_in),
    TIMESTAMP_OID: _fast(datetime.fromisoformat, converters.timestamp_in),
    DATE_OID: _fast(date.fromisoformat, converters.date_in),
}


_scan_placeholders = legacy.convert_paramstyle
_POSITIONAL_STYLES = frozenset({"format", "qmark", "numeric"})


@lru_cache(maxsize=1024)
def _statement_for(style: str, query: str) -> str:
    statement: str = _scan_placeholders(style, query, ())[0]
    return statement


def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
    """pg8000's ``convert_paramstyle``, remembered per statement: with positional styles (SQLAlchemy uses
    ``format``) the translated statement depends on the text alone and the values pass through unchanged."""
    if style in _POSITIONAL_STYLES:
        return _statement_for(style, query), args
    result: tuple[str, Any] = _scan_placeholders(style, query, args)
    return result


# pg8000's cursor looks the function up in its module at each call.
legacy.convert_paramstyle = convert_paramstyle


class PipelinedConnection(legacy.Connection):  # type: ignore[misc]  # pg8000 ships no type hints
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for oid, read in FAST_READERS.items():
            self.register_in_adapter(oid, read)

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
