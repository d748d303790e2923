"""A Docker-free stand-in for ``sam local start-api``: template.yaml's HTTP API on localhost.

    python -m devtools.local_gateway            # http://127.0.0.1:3001 (PORT, HOST honoured)

Each request is routed by the template's routes to the function that owns it and delivered to that
function's real ``handler`` as an API Gateway HTTP API payload 2.0 event; CORS is answered here from the
template's ``CorsConfiguration``, as API Gateway does (the functions themselves never add CORS headers).
One request at a time, like one warm container per function.
"""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx

from devtools import template
from devtools.lambda_kit.transport import LambdaTransport
from devtools.startup import StartupError, prepare_local_run
from todo_shared.config.settings import get_settings


class CorsPolicy:
    """API Gateway's CORS behaviour for an HTTP API with a CorsConfiguration."""

    def __init__(self, config: template.Cors, origins: tuple[str, ...]) -> None:
        self.config = config
        self.origins = frozenset(origins)

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    def preflight_headers(self, origin: str) -> list[tuple[str, str]]:
        return [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", ",".join(self.config.allow_methods)),
            (
                "access-control-allow-headers",
                ",".join(header.lower() for header in self.config.allow_headers),
            ),
            ("access-control-max-age", str(self.config.max_age)),
            *self._credentials(),
        ]

    def response_headers(self, origin: str) -> list[tuple[str, str]]:
        exposed = ",".join(header.lower() for header in self.config.expose_headers)
        expose = [("access-control-expose-headers", exposed)] if exposed else []
        return [("access-control-allow-origin", origin), *self._credentials(), *expose]

    def _credentials(self) -> list[tuple[str, str]]:
        return [("access-control-allow-credentials", "true")] if self.config.allow_credentials else []


def make_request_handler(transport: LambdaTransport, cors: CorsPolicy) -> type[BaseHTTPRequestHandler]:
    class GatewayRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-http-api"

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            origin = self.headers.get("origin")
            if self.command == "OPTIONS" and self.headers.get("access-control-request-method"):
                # Preflight is API Gateway's business: the functions never see it.
                headers = cors.preflight_headers(origin) if origin and cors.allows(origin) else []
                self._send(204, headers, b"")
                return
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            request = httpx.Request(
                self.command,
                f"http://{self.headers.get('host', 'localhost')}{self.path}",
                headers=list(self.headers.items()),
                content=body,
            )
            response = transport.handle_request(request)
            headers = [
                (name, value)
                for name, value in response.headers.multi_items()
                if not name.lower().startswith("access-control-")  # API Gateway overrides these
            ]
            if origin and cors.allows(origin):
                headers.extend(cors.response_headers(origin))
            self._send(response.status_code, headers, response.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"local-gateway {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    return GatewayRequestHandler


def build_server(host: str, port: int) -> HTTPServer:
    settings = get_settings()
    config = template.cors(template.project_template())
    handler = make_request_handler(LambdaTransport(), CorsPolicy(config, settings.frontend_origins))
    return HTTPServer((host, port), handler)


def main() -> int:
    try:
        run = prepare_local_run(default_port=3001)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    server = build_server(run.host, run.port)
    print(
        f"template.yaml's HTTP API on http://{run.host}:{run.port} (through the Lambda handlers)",
        file=sys.stderr,
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
