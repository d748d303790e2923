"""A Docker-free stand-in for ``sam local start-api``: template.yaml's HTTP API on localhost.

    python -m devtools.local_gateway            # http://localhost:3001 (PORT, HOST honoured)
    python -m devtools.local_gateway --https    # https://localhost:3001 (or GATEWAY_TLS=1)

Each request is routed by the template's routes to the function that owns it and delivered to that
function's real ``handler`` as an API Gateway HTTP API payload 2.0 event; CORS is answered here from the
template's ``CorsConfiguration``, as API Gateway does (the functions themselves never add CORS headers).

Browsers keep connections open and open several: each connection has its own thread, and one left idle for
``GATEWAY_IDLE_TIMEOUT`` seconds (5) is closed. Requests still run through the handlers one at a time, like
one warm container per function. In HTTPS mode the certificate is a throwaway one for localhost
(``LOCAL_STATE_DIR``/gateway-tls, reused while valid) and the events say ``https`` as API Gateway's do, so
the handlers set the production cookie (``Secure; SameSite=None; Partitioned``).

A request's source address (the event's ``sourceIp``, which keys the sign-up and login throttles) is the
connection's. ``--trust-test-source-address`` lets a request name its own in an ``X-Test-Source-Address``
header, for test harnesses only. Bodies are framed as API Gateway frames them (devtools/request_body.py): a
malformed ``Content-Length`` or ``Transfer-Encoding`` is a 400, a body over 10 MB a 413, answered as API
Gateway answers (``{"message": "Bad Request"}``) before the body is read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from devtools import template
from devtools.cors import CorsPolicy
from devtools.lambda_kit.transport import SOURCE_ADDRESS_HEADER, LambdaTransport
from devtools.net import browser_base
from devtools.request_body import (
    CHUNKED,
    IncompleteBodyError,
    MalformedBodyError,
    PayloadTooLargeError,
    body_length,
    read_chunked,
    read_exactly,
)
from devtools.startup import StartupError, prepare_local_run
from devtools.tls import ThrowawayPki, reusable_pki
from todo_shared.config.settings import get_settings

DEFAULT_IDLE_TIMEOUT = 5.0
# API Gateway sets these from the connection; a client's own values never reach the functions.
_FROM_CONNECTION = frozenset({"x-forwarded-proto", "x-forwarded-port", SOURCE_ADDRESS_HEADER})
_HOP_BY_HOP = frozenset({"content-length", "connection", "transfer-encoding", "keep-alive"})
# A Host the functions can take (API Gateway's is always the API's domain name): Mangum splits it at its one
# colon, so an IPv6 literal ([::1]:3001) would fail inside the handler.
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_GATEWAY_PHRASES = {
    413: "Request Entity Too Large"
}  # API Gateway's word (Python's is now "Content Too Large")
_DRAIN_SECONDS = 2.0  # after an error answer, how long what the client still sends is read and dropped
_DRAIN_BYTES = 1024 * 1024


def make_request_handler(
    transport: LambdaTransport,
    cors: CorsPolicy,
    *,
    scheme: str = "http",
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    trust_test_source_address: bool = False,
) -> type[BaseHTTPRequestHandler]:
    """``trust_test_source_address``: a request's ``X-Test-Source-Address`` header names its source address
    (the event's ``sourceIp``), as the tests' in-process clients allow; otherwise the header is dropped and
    the source address is the connection's, as API Gateway's is."""
    one_at_a_time = threading.Lock()  # the handlers and their module state see one request at a time
    from_connection = (
        _FROM_CONNECTION - {SOURCE_ADDRESS_HEADER} if trust_test_source_address else _FROM_CONNECTION
    )

    class GatewayRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # A request line too broken to name its version is answered in HTTP/1.1 (never a bare HTTP/0.9 body).
        default_request_version = "HTTP/1.1"
        server_version = "local-http-api"
        # The socket timeout: a connection idle (or stalled mid-request) this long is closed.
        timeout = idle_timeout

        def setup(self) -> None:
            super().setup()
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()  # here, under the timeout, not in the accepting thread

        def _send(
            self, status: int, headers: list[tuple[str, str]], body: bytes, *, close: bool = False
        ) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            if close:
                self.send_header("connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """API Gateway's own error answer, ``{"message": "<reason phrase>"}``; the connection then closes
            (what the client still sends is dropped, briefly, so that it reads the answer before the close)."""
            self.log_error("code %d, message %s", code, message)
            self.close_connection = True
            phrase = _GATEWAY_PHRASES.get(code) or self.responses.get(code, ("Error",))[0]
            body = json.dumps({"message": phrase}).encode()
            self._send(code, [("content-type", "application/json")], body, close=True)
            self.wfile.flush()
            self._drain()

        def _drain(self) -> None:
            try:
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(_DRAIN_SECONDS)
                dropped = 0
                while dropped < _DRAIN_BYTES and (data := self.connection.recv(65536)):
                    dropped += len(data)
            except OSError:  # reset, timed out, or TLS that cannot be read past: the answer was sent anyway
                pass

        def handle_expect_100(self) -> bool:
            # A body that will be refused is refused now, before the client is told to send it.
            return self._body_length() is not None and super().handle_expect_100()

        def _body_length(self) -> int | None:
            """The body's framing (``CHUNKED`` or a length), or None once an error has been answered."""
            try:
                return body_length(
                    self.headers.get_all("content-length") or [], self.headers.get("transfer-encoding")
                )
            except MalformedBodyError:
                self.send_error(400, "Malformed Content-Length or Transfer-Encoding")
            except PayloadTooLargeError:
                self.send_error(413)
            return None

        def _read_body(self) -> bytes | None:
            """The whole body, or None once an error has been answered or the client has gone."""
            length = self._body_length()
            if length is None:
                return None
            try:
                return read_chunked(self.rfile) if length == CHUNKED else read_exactly(self.rfile, length)
            except MalformedBodyError:
                self.send_error(400, "Malformed chunked body")
            except PayloadTooLargeError:
                self.send_error(413)
            except IncompleteBodyError:
                self.log_error("closed the connection: the client closed it before the body was whole")
                self.close_connection = True
            return None

        def _url(self) -> httpx.URL | None:
            hosts = self.headers.get_all("host") or ["localhost"]
            host = hosts[0]
            if not self.path.startswith("/") or len(hosts) > 1 or not _HOST.fullmatch(host):
                self.send_error(400, "The request target must be a path, and Host one host name")
                return None
            try:
                return httpx.URL(f"{scheme}://{host}{self.path}")
            except httpx.InvalidURL:
                self.send_error(400, "The request target is not a valid path")
                return None

        def _handle(self) -> None:
            origin = self.headers.get("origin")
            if self.command == "OPTIONS" and self.headers.get("access-control-request-method"):
                # Preflight is API Gateway's business: the functions never see it.
                self._send(204, cors.preflight_headers(origin), b"")
                return
            url = self._url()
            body = None if url is None else self._read_body()
            if url is None or body is None:
                return
            port = self.connection.getsockname()[1]  # the port the client connected to
            sent = [
                (name.encode("latin-1"), value.encode("latin-1"))  # as they came: any byte is a header's
                for name, value in self.headers.items()
                if name.lower() not in from_connection
            ]
            if not any(name.lower() == SOURCE_ADDRESS_HEADER.encode() for name, _ in sent):
                sent.append((SOURCE_ADDRESS_HEADER.encode(), self.client_address[0].encode()))
            # The transport adds x-forwarded-proto from the scheme.
            sent.append((b"x-forwarded-port", str(port).encode()))
            request = httpx.Request(self.command, url, headers=sent, content=body)
            with one_at_a_time:
                response = transport.handle_request(request)
            headers = [
                (name, value)
                for name, value in response.headers.multi_items()
                if not name.lower().startswith("access-control-")  # API Gateway overrides these
            ]
            if origin and cors.allows(origin):
                headers.extend(cors.response_headers(origin))
            # The body as the function answered it (still gzip-compressed if it says so), as API Gateway sends it.
            self._send(response.status_code, headers, b"".join(response.iter_raw()))

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle  # noqa: N815

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # A request line too broken to parse leaves no method or path.
            sys.stderr.write(f"local-gateway {self.command or '-'} {getattr(self, 'path', '-')} {code}\n")

        def log_error(self, format: str, *args: object) -> None:
            if args and isinstance(args[0], TimeoutError):
                format, args = "closed the connection: idle for %s s", (idle_timeout,)
            self.log_message(format, *args)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"local-gateway {self.client_address[1]}: {format % args}\n")

    return GatewayRequestHandler


class GatewayServer(ThreadingHTTPServer):
    """One thread per connection, each with its own event loop (Mangum runs the app on the current one)."""

    request_queue_size = 64  # browsers open several connections at once

    def process_request_thread(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple[str, int]
    ) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            super().process_request_thread(request, client_address)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple[str, int]
    ) -> None:
        # A client that goes away or refuses the certificate is one line, not a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, ssl.SSLError)):
            sys.stderr.write(f"local-gateway {client_address[1]}: {type(error).__name__}: {error}\n")
            return
        super().handle_error(request, client_address)


def use_tls(server: GatewayServer, pki: ThrowawayPki) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.set_alpn_protocols(["http/1.1"])
    # Handshakes happen in each connection's thread (the handler's setup), so a slow one blocks no one.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)


def tls_directory() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR", "").strip() or ".local") / "gateway-tls"


def idle_timeout_setting() -> float:
    raw = os.environ.get("GATEWAY_IDLE_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_IDLE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise StartupError(f"GATEWAY_IDLE_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not 0 < value <= 3600:
        raise StartupError(f"GATEWAY_IDLE_TIMEOUT must be between 0 and 3600 seconds, got {raw!r}")
    return value


def build_server(
    host: str,
    port: int,
    *,
    pki: ThrowawayPki | None = None,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    trust_test_source_address: bool = False,
) -> GatewayServer:
    settings = get_settings()
    config = template.cors(template.project_template())
    handler = make_request_handler(
        LambdaTransport(),
        CorsPolicy(config, settings.frontend_origins),
        scheme="https" if pki else "http",
        idle_timeout=idle_timeout,
        trust_test_source_address=trust_test_source_address,
    )
    server = GatewayServer((host, port), handler)
    if pki is not None:
        use_tls(server, pki)
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.local_gateway", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--https",
        action="store_true",
        default=os.environ.get("GATEWAY_TLS", "").strip().lower() in ("1", "true", "yes"),
        help="serve https with a throwaway certificate for localhost (also GATEWAY_TLS=1)",
    )
    parser.add_argument(
        "--trust-test-source-address",
        action="store_true",
        help=f"for tests only: a request's {SOURCE_ADDRESS_HEADER} header sets its source address (any client"
        " then picks its own, and with it every throttle key)",
    )
    options = parser.parse_args(argv)
    try:
        run = prepare_local_run(default_port=3001)
        idle_timeout = idle_timeout_setting()
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pki = reusable_pki(tls_directory()) if options.https else None
    scheme = "https" if pki else "http"
    server = build_server(
        run.host,
        run.port,
        pki=pki,
        idle_timeout=idle_timeout,
        trust_test_source_address=options.trust_test_source_address,
    )
    print(
        f"template.yaml's HTTP API on {scheme}://{run.host}:{run.port} (through the Lambda handlers)",
        file=sys.stderr,
    )
    cookie_base = browser_base(scheme, run.host, run.port)
    if cookie_base:
        print(f"  {cookie_base} (use this origin for cookie logins from a browser page)", file=sys.stderr)
    for line in run.banner():
        print(line, file=sys.stderr)
    if options.trust_test_source_address:
        print(
            f"  for tests: the {SOURCE_ADDRESS_HEADER} header sets a request's source address",
            file=sys.stderr,
        )
    if pki is not None:
        print(
            f"  certificate authority to trust: {pki.ca_cert.resolve()} (e.g. curl --cacert)", file=sys.stderr
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
