"""A local stand-in for the AWS Parameters and Secrets Lambda Extension's HTTP interface, backed by boto3 clients
(moto's, in tests and the benchmark).

It answers what the extension answers on localhost: ``GET /secretsmanager/get?secretId=…`` with GetSecretValue's
JSON and ``GET /systemsmanager/parameters/get?name=…[&withDecryption=true]`` with GetParameter's, only with the
``X-Aws-Parameters-Secrets-Token`` header equal to its token (the extension's is ``$AWS_SESSION_TOKEN``). A
missing or wrong token answers 401; an AWS error answers the store's status with the error code in the
``X-Amzn-Errortype`` header and the body. Unlike the extension it caches nothing: every request reaches the
store.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import ClientError


@dataclass
class StandIn:
    port: int
    token: str
    # The paths with query asked for, in order (tests check that the extension was the one asked).
    requests: list[str] = field(default_factory=list)


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


@contextmanager
def extension_standin(*, secretsmanager: Any, ssm: Any, token: str) -> Iterator[StandIn]:
    """Serve the extension's interface on a free loopback port until the block ends."""
    state: StandIn

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output stays readable."""

        def _answer(self, status: int, document: dict[str, Any], error_type: str | None = None) -> None:
            body = json.dumps(document, default=_json_default).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if error_type:
                self.send_header("X-Amzn-Errortype", error_type)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            state.requests.append(self.path)
            given = self.headers.get("X-Aws-Parameters-Secrets-Token", "")
            if not hmac.compare_digest(given.encode(), state.token.encode()):
                self._answer(401, {"message": "the token header is missing or wrong"})
                return
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            try:
                if parts.path == "/secretsmanager/get" and query.get("secretId"):
                    response = secretsmanager.get_secret_value(SecretId=query["secretId"])
                elif parts.path == "/systemsmanager/parameters/get" and query.get("name"):
                    response = ssm.get_parameter(
                        Name=query["name"], WithDecryption=query.get("withDecryption") == "true"
                    )
                else:
                    self._answer(400, {"message": "unknown path or missing query parameter"})
                    return
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", "ClientError"))
                status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
                self._answer(status, {"__type": code, "message": f"{code}: the store refused"}, code)
                return
            response.pop("ResponseMetadata", None)
            self._answer(200, response)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = StandIn(port=server.server_address[1], token=token)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
