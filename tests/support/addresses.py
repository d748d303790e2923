"""The source address of a test request, for both clients of the ``api`` fixture.

A request names its address in the ``X-Test-Source-Address`` header, which never reaches the application:
the Lambda client makes it the event's ``sourceIp`` (devtools/lambda_kit/transport.py), and the in-process
client's app is wrapped in ``SourceAddress``, which makes it the ASGI ``client``, as the network would.
Without the header a request comes from the client's one address ("testclient", or the Lambda events'
203.0.113.7).
"""

from __future__ import annotations

import ipaddress
import itertools

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from devtools.lambda_kit.transport import SOURCE_ADDRESS_HEADER

_HEADER = SOURCE_ADDRESS_HEADER.encode("latin-1")
# 198.18.0.0/15 is set aside for testing (RFC 2544): 131,072 addresses, handed out in turn.
_TEST_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
_numbers = itertools.count(1)


def from_address(address: str) -> dict[str, str]:
    """Headers that make a request come from ``address``."""
    return {SOURCE_ADDRESS_HEADER: address}


def fresh_address() -> str:
    """An IPv4 address no other request of this run has been given (until the 131,072nd)."""
    return str(_TEST_NETWORK[next(_numbers) % _TEST_NETWORK.num_addresses])


def signups_from_fresh_addresses(request: httpx.Request) -> None:
    """A request hook: each signup that names no address comes from a fresh one, as each new user signs up
    from their own network (signups are throttled per address, and the suite creates many accounts)."""
    if request.url.path.startswith("/api/auth/signup") and SOURCE_ADDRESS_HEADER not in request.headers:
        request.headers[SOURCE_ADDRESS_HEADER] = fresh_address()


class SourceAddress:
    """An ASGI app that serves ``app`` with the client address a request names in the test header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            named = [value for name, value in scope["headers"] if name == _HEADER]
            if named:
                port = scope["client"][1] if scope.get("client") else 50000
                scope = {
                    **scope,
                    "headers": [(name, value) for name, value in scope["headers"] if name != _HEADER],
                    "client": (named[-1].decode("latin-1"), port),
                }
        await self.app(scope, receive, send)
