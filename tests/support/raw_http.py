"""Raw bytes to a server over a real socket, and what came back: an HTTP answer, or the connection closed."""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: the server closed the connection without an answer
    body: bytes = b""
    reset: bool = False  # closed with a reset rather than an orderly close
    broken: str | None = None  # what was wrong with an answer that is not HTTP, or cut short


def exchange(base: str, raw: bytes, *, timeout: float = 15.0, half_close: bool = True) -> Outcome:
    """Send ``raw`` on a new connection and read the first answer. ``half_close``: the client then says it will
    send nothing more (as a client that sent a truncated request and waits does), so the server need not wait
    for the rest until its idle timeout. A server that neither answers nor closes within ``timeout`` fails
    with ``TimeoutError``."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before it took everything; read what it said
        answer = http.client.HTTPResponse(sock, method="HEAD" if raw.startswith(b"HEAD ") else None)
        try:
            answer.begin()
            return Outcome(answer.status, answer.read())
        except http.client.RemoteDisconnected:
            return Outcome(None)
        except ConnectionResetError:
            return Outcome(None, reset=True)
        except http.client.HTTPException as error:  # a status line that is not HTTP's, a body cut short
            status = answer.status if isinstance(answer.status, int) else None
            return Outcome(status, broken=repr(error))
