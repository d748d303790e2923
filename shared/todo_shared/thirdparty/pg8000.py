"""pg8000's private names, in one place: a connection with one network round trip per statement.

Pinned: pg8000 1.31.6. Relies on the names in ``RELIED_ON`` and on a connection's ``_sock``, ``_usock`` and
``_transaction_status`` attributes (checked by a test that also fails when the installed version is not
``PINNED_VERSION``). What ``PipelinedConnection`` sends when, and why that is safe through PgBouncer's transaction
mode (one flight per statement under one Sync, BEGIN and the request's ``SET LOCAL`` with the first statement,
ROLLBACK not waited for, writes held for COMMIT's flight, ``known_alive``): docs/adr/0033-round-trips-at-the-floor.md.
"""

from __future__ import annotations

import select
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pg8000 import converters, legacy
from pg8000.core import (
    DESCRIBE,
    IN_FAILED_TRANSACTION,
    NULL_BYTE,
    PORTAL,
    SYNC_MSG,
    Context,
    _flush,
    _write,
    make_params,
)
from pg8000.exceptions import Error

PINNED_VERSION = "1.31.6"
# What this module relies on beyond pg8000's documented API (tests/unit/test_thirdparty.py checks each).
RELIED_ON = (
    "pg8000.core.DESCRIBE",
    "pg8000.core.IN_FAILED_TRANSACTION",
    "pg8000.core.NULL_BYTE",
    "pg8000.core.PORTAL",
    "pg8000.core.SYNC_MSG",
    "pg8000.core.Context",
    "pg8000.core._flush",
    "pg8000.core._write",
    "pg8000.core.make_params",
    "pg8000.legacy.convert_paramstyle",
    "pg8000.legacy.Connection.send_PARSE",
    "pg8000.legacy.Connection.send_BIND",
    "pg8000.legacy.Connection.send_EXECUTE",
    "pg8000.legacy.Connection._send_message",
    "pg8000.legacy.Connection.handle_messages",
    "pg8000.legacy.Connection.execute_unnamed",
    "pg8000.legacy.Connection.execute_simple",
    "pg8000.legacy.Connection.send_QUERY",
    "pg8000.legacy.Connection.commit",
    "pg8000.legacy.Connection.rollback",
    "pg8000.legacy.Connection._in_transaction",
    "pg8000.converters.timestamptz_in",
    "pg8000.converters.timestamp_in",
    "pg8000.converters.date_in",
)

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


_installed = False


def install_statement_cache() -> None:
    """Route pg8000's placeholder translation through ``convert_paramstyle`` (once per process); pg8000's
    cursor looks the function up in its module at each call."""
    global _installed
    if not _installed:
        legacy.convert_paramstyle = convert_paramstyle
        _installed = True


class PipelinedConnection(legacy.Connection):  # type: ignore[misc]  # pg8000 ships no type hints
    # pg8000's cursor opens each transaction with exactly this statement (legacy.Cursor.execute).
    BEGIN_STATEMENT = "begin transaction"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._begin_pending = False
        # What to send right after a transaction's BEGIN, in the same flight: a ``SET LOCAL`` statement or None.
        self.transaction_settings: Callable[[], str | None] | None = None
        self._holding_for_commit = False
        self._held_for_commit = 0  # statements written, not yet sent: COMMIT's flight carries them
        self._unread_reply: Context | None = None
        self._reading_earlier_reply = False
        self._answered_at = (time.monotonic(), time.time())
        super().__init__(*args, **kwargs)
        for oid, read in FAST_READERS.items():
            self.register_in_adapter(oid, read)

    # --- reading what was sent earlier ---------------------------------------------------------------------

    @property
    def reading_earlier_reply(self) -> bool:
        """True while the answer to a ROLLBACK sent at the end of the previous use is being read."""
        return self._reading_earlier_reply

    def _read_unread_reply(self) -> None:
        context, self._unread_reply = self._unread_reply, None
        if context is not None:
            self._reading_earlier_reply = True
            try:
                self.handle_messages(context)
            finally:
                self._reading_earlier_reply = False

    def handle_messages(self, context: Context) -> None:
        super().handle_messages(context)
        # An answer that came while the connection sat idle says nothing of how long it has been idle since.
        if not self._reading_earlier_reply:
            self._answered_at = (time.monotonic(), time.time())

    @property
    def _in_transaction(self) -> bool:
        if self._unread_reply is not None:
            self._read_unread_reply()
        in_transaction: bool = legacy.Connection._in_transaction.fget(self)
        return in_transaction

    # --- statements ----------------------------------------------------------------------------------------

    def execute_simple(self, statement: str) -> Context:
        self._read_unread_reply()
        if self._held_for_commit:
            self._send_held()
        if statement == self.BEGIN_STATEMENT and not self._in_transaction:
            self._begin_pending = True
            return Context(statement)
        if self._begin_pending:
            # One simple query holding both: one answer, in one round trip.
            self._begin_pending = False
            statement = ";".join((*self._opening_statements(), statement))
        context: Context = super().execute_simple(statement)
        return context

    def _opening_statements(self) -> tuple[str, ...]:
        settings = self.transaction_settings() if self.transaction_settings is not None else None
        return (self.BEGIN_STATEMENT,) if settings is None else (self.BEGIN_STATEMENT, settings)

    def execute_unnamed(self, statement: str, vals: Any = (), oids: Any = (), stream: Any = None) -> Context:
        self._read_unread_reply()
        if self._holding_for_commit and stream is None:
            return self._hold_for_commit(statement, vals, oids)
        if self._held_for_commit and statement != self.COMMIT_STATEMENT:
            self._send_held()
        if stream is not None:
            self._send_pending_begin()
            return super().execute_unnamed(statement, vals=vals, oids=oids, stream=stream)
        params = make_params(self.py_types, vals)
        context = Context(statement, stream=None)
        if self._begin_pending:
            self._begin_pending = False
            for opening in self._opening_statements():
                self.send_PARSE(NULL_BYTE, opening, ())
                self.send_BIND(NULL_BYTE, ())
                self.send_EXECUTE()
        self.send_PARSE(NULL_BYTE, statement, oids)
        self.send_BIND(NULL_BYTE, params)
        self._send_message(DESCRIBE, PORTAL + NULL_BYTE)
        self.send_EXECUTE()
        _write(self._sock, SYNC_MSG)
        _flush(self._sock)
        self.handle_messages(context)
        return context

    # --- writes sent with COMMIT ------------------------------------------------------------------------------

    COMMIT_STATEMENT = "commit"  # what pg8000's commit() executes

    @contextmanager
    def sending_with_commit(self) -> Iterator[None]:
        """Statements executed inside are written, not sent: the next COMMIT's flight carries them, under its
        Sync, and an error in any of them is raised by that commit (the server then skips the COMMIT). For
        writes whose answer is only that they worked: no rows are read back (``rowcount`` is unknown)."""
        self._holding_for_commit = True
        try:
            yield
        finally:
            self._holding_for_commit = False

    def _hold_for_commit(self, statement: str, vals: Any, oids: Any) -> Context:
        params = make_params(self.py_types, vals)
        if self._begin_pending:
            self._begin_pending = False
            for opening in self._opening_statements():
                self.send_PARSE(NULL_BYTE, opening, ())
                self.send_BIND(NULL_BYTE, ())
                self.send_EXECUTE()
        self.send_PARSE(NULL_BYTE, statement, oids)
        self.send_BIND(NULL_BYTE, params)
        self.send_EXECUTE()
        self._held_for_commit += 1
        return Context(statement)

    def _send_held(self) -> None:
        """Another statement comes before the COMMIT: the held ones go first, on their own (one round trip)."""
        self._held_for_commit = 0
        _write(self._sock, SYNC_MSG)
        _flush(self._sock)
        self.handle_messages(Context("held for commit"))

    def _send_pending_begin(self) -> None:
        if self._begin_pending:
            self._begin_pending = False
            super().execute_simple(";".join(self._opening_statements()))

    def commit(self) -> None:
        self._read_unread_reply()
        if self._begin_pending:  # nothing ran: nothing to commit
            self._begin_pending = False
            return
        held, self._held_for_commit = self._held_for_commit, 0
        try:
            super().commit()  # with the statements held for it, if any, ahead of it in the same flight
        except Error:
            # A held statement failed and the server skipped the COMMIT: end the transaction as a COMMIT of a
            # failed transaction does (the ROLLBACK is not waited for).
            if held and self._transaction_status == IN_FAILED_TRANSACTION:
                self.rollback()
            raise

    def rollback(self) -> None:
        if self._held_for_commit:  # written, never sent (an error path): they go first, their errors moot
            with suppress(Error):
                self._send_held()
        if self._unread_reply is not None:  # the last thing sent was a ROLLBACK: nothing is open
            return
        if self._begin_pending:
            self._begin_pending = False
            return
        if not self._in_transaction:
            return
        self.send_QUERY("rollback")
        _flush(self._sock)
        self._unread_reply = Context("rollback")

    def close(self) -> None:
        try:
            super().close()
        except Error:
            if self._usock is not None:
                raise
            # The goodbye could not go out on a link that had already failed; the socket is closed all the same
            # (SQLAlchemy would otherwise log "Exception terminating connection" with a traceback).

    # --- liveness ------------------------------------------------------------------------------------------

    def known_alive(self, *, max_idle_seconds: float) -> bool:
        """True when the server answered within ``max_idle_seconds`` and nothing has arrived since: no close,
        no error. Costs no round trip (it reads only an answer already under way); False means "ping it".

        Both clocks count the idle time: the wall clock also moves while a frozen sandbox's monotonic clock
        may not.
        """
        try:
            self._read_unread_reply()
        except Error:  # the connection broke before that answer came: the ping will say so
            return False
        monotonic_at, wall_at = self._answered_at
        if max(time.monotonic() - monotonic_at, time.time() - wall_at) > max_idle_seconds:
            return False
        raw_socket = self._usock
        if raw_socket is None:
            return False
        if isinstance(raw_socket, ssl.SSLSocket) and raw_socket.pending():
            return False
        poller = select.poll()
        poller.register(raw_socket, select.POLLIN | select.POLLPRI)
        # Readable means the server closed the connection or said something unasked (an error before closing).
        return not poller.poll(0)


def socket_stream(connection: Any) -> Any:
    """The buffered socket file pg8000 reads and writes the protocol through, or None."""
    return getattr(connection, "_sock", None)


def replace_socket_stream(connection: Any, stream: Any) -> None:
    connection._sock = stream


def raw_socket(connection: Any) -> Any:
    """The socket (a TLS one over TLS) under the stream: where the read timeout is set."""
    return getattr(connection, "_usock", None)
