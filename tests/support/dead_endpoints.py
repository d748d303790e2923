"""Endpoints that fail the way remote services do: refusing, accepting and never answering, or trickling.

``unresponsive_endpoint("silent")`` accepts connections and never writes a byte; ``"trickle"`` starts an HTTP
answer and sends one byte every 0.2 s (each read gets data before a socket timeout fires, so only a deadline
on the whole exchange ends it). ``refused_origin()`` names a loopback port nothing listens on.

Connections are held for ``hold_seconds`` and then closed, so a client without a deadline makes its test
fail slowly instead of hanging the run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from devtools.net import free_port

Behaviour = Literal["silent", "trickle"]
TRICKLE_INTERVAL_SECONDS = 0.2
_TRICKLE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"x" * 4096
DEFAULT_HOLD_SECONDS = 8.0


def refused_origin() -> str:
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def unresponsive_endpoint(behaviour: Behaviour, hold_seconds: float = DEFAULT_HOLD_SECONDS) -> Iterator[str]:
    """An ``http://127.0.0.1:<port>`` origin served as ``behaviour`` says, until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        with connection:
            closes_at = time.monotonic() + hold_seconds
            if behaviour == "trickle":
                for offset in range(len(_TRICKLE)):
                    if stop.wait(TRICKLE_INTERVAL_SECONDS) or time.monotonic() >= closes_at:
                        return
                    try:
                        connection.sendall(_TRICKLE[offset : offset + 1])
                    except OSError:
                        return  # the client gave up
            stop.wait(max(0.0, closes_at - time.monotonic()))

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
