"""One pure-ASGI middleware for what every response needs.

- one route per path with or without a trailing slash;
- a request id (API Gateway's on Lambda, else a sane incoming ``X-Request-ID``, else a new one), echoed in
  ``X-Request-ID`` and used as the log correlation id;
- security headers;
- a request body size limit (413);
- the request's time budget for the database (``todo_shared.db.deadline``), from the Lambda invocation's
  remaining time when there is one;
- a last-resort 500 in the API's JSON shape, with the traceback logged, for anything unhandled.

Pure ASGI rather than ``BaseHTTPMiddleware``: it is cheaper, and errors raised inside it keep their shape.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_shared.db import deadline
from todo_shared.observability import bind_request_id, logger

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:=-]{1,128}$")
MAX_BODY_BYTES = 64 * 1024

_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-site"),
)
# Defaults for answers that load nothing (JSON); a route that sets its own keeps it: the docs page its policy,
# its versioned files their caching.
_API_DEFAULT_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


def _json_error(status: int, code: str, detail: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    body = json.dumps({"detail": detail, "code": code}).encode()
    return [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())], body


def request_id_for(scope: Scope) -> str:
    event: dict[str, Any] = scope.get("aws.event") or {}
    from_gateway = (event.get("requestContext") or {}).get("requestId")
    if isinstance(from_gateway, str) and from_gateway:
        return from_gateway
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.match(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


def invocation_left_seconds(scope: Scope) -> float | None:
    """What the Lambda invocation has left, from the context Mangum puts in the scope; None outside Lambda."""
    remaining = getattr(scope.get("aws.context"), "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    try:
        return float(remaining()) / 1000
    except (TypeError, ValueError):
        return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives ``messages`` first, then whatever ``receive`` gives (a disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A trailing slash names the same route: served as the path without it (never a redirect, which
        # would send a browser's PUT elsewhere and, behind API Gateway, to a route that does not exist).
        path = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            raw_path = scope.get("raw_path") or b""
            scope = {
                **scope,
                "path": path[:-1],
                "raw_path": raw_path[:-1] if raw_path.endswith(b"/") else raw_path,
            }
        request_id = request_id_for(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        logger.set_correlation_id(request_id)
        bind_request_id(request_id)
        extra_headers = [(REQUEST_ID_HEADER, request_id.encode()), *_SECURITY_HEADERS, *_API_DEFAULT_HEADERS]
        if scope.get("scheme") == "https":
            extra_headers.append(_HSTS)
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                present = {name.lower() for name, _ in message.get("headers", ())}
                headers = list(message.get("headers", ()))
                headers.extend(item for item in extra_headers if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        async def send_error(status: int, code: str, detail: str) -> None:
            headers, body = _json_error(status, code, detail)
            await send_with_headers({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        declared = self._declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_error(413, "payload_too_large", f"The body exceeds {self.max_body_bytes} bytes.")
            return

        app_receive = receive
        if declared is None:
            # No Content-Length (a chunked upload): read the body here, up to the limit, before the app sees
            # it. Raising from inside the app's receive instead would reach FastAPI's body parsing, which turns
            # any error into a 400 "could not be parsed".
            buffered = await self._read_body(receive)
            if buffered is None:
                await send_error(413, "payload_too_large", f"The body exceeds {self.max_body_bytes} bytes.")
                return
            app_receive = _replay(buffered, receive)

        try:
            with deadline.open_budget(invocation_left_seconds=invocation_left_seconds(scope)):
                await self.app(scope, app_receive, send_with_headers)
        except Exception:
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not response_started:
                await send_error(500, "internal_error", "An unexpected error occurred.")

    async def _read_body(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they exceed the limit (the rest is never read)."""
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # a disconnect: the app sees it as it would have
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    @staticmethod
    def _declared_length(scope: Scope) -> int | None:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None
