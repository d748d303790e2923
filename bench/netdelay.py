"""A loopback TCP relay that adds network latency: each chunk is held for half the round trip, each way.

    .venv/bin/python -m bench.netdelay --target 127.0.0.1:6432 --rtt-ms 1 [--port 0]

Prints ``listening PORT`` once it accepts connections, and serves until its standard input closes (the
benchmark holds the other end) or it is terminated. The kernel here has no ``netem`` qdisc, hence this.

What it models, per direction of each connection:

- Latency, not bandwidth: a reader stamps every chunk it reads with ``arrival + rtt / 2`` and queues it; a
  writer delivers the chunks in order, each at its own time. A chunk never waits for the delay of the chunks
  before it, only for them to be written.
- The TCP handshake: the client's ``connect()`` returns at once on loopback, where on a network it takes a
  round trip; so nothing is delivered earlier than one round trip after the accept, plus the half round trip
  (the client's first bytes arrive as they would after a real handshake).
- Half-close: an end of stream is delivered (``shutdown(SHUT_WR)`` on the other side) after the same delay,
  and the other direction keeps flowing; the connection closes once both directions have ended.
- Reset: a reset (or any socket error) on one side resets the other after the delay, with ``SO_LINGER`` 0
  so that the peer reads ``ECONNRESET`` as it would from the network; data still in flight is dropped.

Standard library only (the benchmark starts it as a separate process, so its timers do not wait for the
benchmark's own Python work). The event loop waits with ``select()``: epoll rounds its timeout up to whole
milliseconds, which would turn a 0.5 ms hold into 1 ms. Even so a wake-up comes 0.1-0.2 ms late on a busy
machine, so the last ``SPIN`` seconds before a chunk is due are spent awake; that holds the loop for as long,
which only matters for connections active at the same moment (the benchmark's workers take turns).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import selectors
import socket
import struct
import sys
from dataclasses import dataclass, field

CHUNK = 256 * 1024
# Seconds before a chunk is due when the relay stops sleeping and spins: a wake-up from select() overshoots
# by about 0.1-0.2 ms on a busy machine, which would add up to half a millisecond to a 1 ms round trip.
SPIN = 0.0003
_END = b""


class _Reset:
    """Queued in place of data: the reading side was reset or failed."""


_RESET = _Reset()


@dataclass(eq=False)  # kept in a set, by identity
class _Connection:
    """One relayed connection: both directions, and who is still running."""

    client: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    server: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    ended: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN."""
    transport_socket = writer.get_extra_info("socket")
    if transport_socket is not None:
        with contextlib.suppress(OSError):
            transport_socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Relay:
    """Listens on 127.0.0.1 and relays every connection to ``target`` with ``rtt`` seconds of round trip."""

    def __init__(self, target: tuple[str, int], rtt: float) -> None:
        if rtt < 0:
            raise ValueError("the round trip cannot be negative")
        self.target = target
        self.rtt = rtt
        self.half = rtt / 2
        self.server: asyncio.Server | None = None
        self.connections: set[_Connection] = set()

    async def start(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._accepted, "127.0.0.1", port, backlog=256)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections):
            for task in connection.tasks:
                task.cancel()
            for _, writer in (connection.client, connection.server):
                writer.transport.abort()
        if self.server is not None:
            await self.server.wait_closed()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        # The earliest any chunk may be sent on: when the client's handshake would have completed.
        opened = loop.time() + self.rtt
        try:
            upstream = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(
                writer
            )  # as a refused connection looks to the client (later than it would, by a round trip)
            return
        connection = _Connection((reader, writer), upstream)
        self.connections.add(connection)
        queues: tuple[asyncio.Queue[tuple[float, bytes | _Reset]], ...] = (asyncio.Queue(), asyncio.Queue())
        for (source, _), (_, destination), queue in (
            (connection.client, connection.server, queues[0]),
            (connection.server, connection.client, queues[1]),
        ):
            connection.tasks.append(asyncio.create_task(self._read(source, queue, opened)))
            connection.tasks.append(asyncio.create_task(self._deliver(connection, destination, queue)))
        await asyncio.gather(*connection.tasks, return_exceptions=True)
        for _, side in (connection.client, connection.server):
            if connection.ended == 2:  # both ends finished: let what is buffered go out first
                side.close()
                with contextlib.suppress(OSError):
                    await side.wait_closed()
            else:
                side.transport.abort()
        self.connections.discard(connection)

    async def _read(
        self,
        source: asyncio.StreamReader,
        queue: asyncio.Queue[tuple[float, bytes | _Reset]],
        opened: float,
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data: bytes | _Reset = await source.read(CHUNK)
            except OSError:
                data = _RESET
            queue.put_nowait((max(loop.time(), opened) + self.half, data))
            if data is _RESET or data == _END:
                return

    async def _deliver(
        self,
        connection: _Connection,
        destination: asyncio.StreamWriter,
        queue: asyncio.Queue[tuple[float, bytes | _Reset]],
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > SPIN:
                await asyncio.sleep(wait - SPIN)
            while loop.time() < due:  # the last stretch awake: a wake-up from select() comes late, under load
                pass
            if isinstance(data, _Reset):
                self._reset_all(connection)
                return
            try:
                if data == _END:
                    if destination.can_write_eof():
                        destination.write_eof()
                    connection.ended += 1
                    return
                destination.write(data)
                await destination.drain()
            except OSError:  # the destination was reset under us: its peer learns it half a round trip later
                loop.call_later(self.half, self._reset_all, connection)
                return

    def _reset_all(self, connection: _Connection) -> None:
        """Both sides reset, nothing more delivered (what is in flight is lost with the connection)."""
        for _, side in (connection.client, connection.server):
            _reset(side)
        current = asyncio.current_task()  # None when called back from a timer
        for task in connection.tasks:
            if task is not current:
                task.cancel()


def new_loop() -> asyncio.AbstractEventLoop:
    """An event loop whose timers are accurate to microseconds (select's timeout), not milliseconds."""
    return asyncio.SelectorEventLoop(selectors.SelectSelector())


async def _serve(target: tuple[str, int], rtt: float, port: int) -> None:
    relay = Relay(target, rtt)
    bound = await relay.start(port)
    print(f"listening {bound}", flush=True)
    loop = asyncio.get_running_loop()
    # Until the parent closes our standard input (or goes away).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    await relay.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", required=True, help="host:port to relay to")
    parser.add_argument("--rtt-ms", type=float, required=True, help="round trip to add, milliseconds")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    loop = new_loop()
    try:
        loop.run_until_complete(_serve((host, int(port)), args.rtt_ms / 1000, args.port))
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
