"""API Gateway HTTP API (payload 2.0) events and responses, as API Gateway builds them.

Used by the Lambda test client (transport.py), the benchmark and the tests.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from devtools.lambda_kit.context import ACCOUNT_ID
from devtools.template import Route

DEFAULT_SOURCE_IP = "203.0.113.7"  # a documentation address (RFC 5737)
BINARY_CONTENT_PREFIXES = ("image/", "application/octet-stream", "application/pdf", "application/zip")


def path_parameters(route: Route, path: str) -> dict[str, str]:
    names = route.path.strip("/").split("/")
    values = path.strip("/").split("/")
    found: dict[str, str] = {}
    for index, name in enumerate(names):
        if name.startswith("{") and name.endswith("+}"):
            found[name[1:-2]] = "/".join(values[index:])
            break
        if name.startswith("{") and name.endswith("}") and index < len(values):
            found[name[1:-1]] = values[index]
    return found


def http_api_event(
    *,
    method: str,
    path: str,
    route: Route | None,
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    source_ip: str = DEFAULT_SOURCE_IP,
    domain: str = "api.example.com",
) -> dict[str, Any]:
    """An event as API Gateway sends it: lower-case headers joined with commas, cookies apart."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers or []:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    joined.setdefault("host", domain)
    joined.setdefault("x-forwarded-proto", "https")
    joined.setdefault("x-forwarded-port", "443")
    joined.setdefault("x-forwarded-for", source_ip)
    route_key = f"{method} {route.path}" if route else "$default"
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex[:16] + "=",
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if route is not None:
        parameters = path_parameters(route, path)
        if parameters:
            event["pathParameters"] = parameters
    if body:
        content_type = joined.get("content-type", "")
        if content_type.startswith(BINARY_CONTENT_PREFIXES):
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
    return event


def response_parts(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers (one ``set-cookie`` per cookie) and body of a payload 2.0 handler result."""
    status = int(result.get("statusCode", 200))
    headers = [(name, str(value)) for name, value in (result.get("headers") or {}).items()]
    headers.extend(("set-cookie", cookie) for cookie in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return status, headers, body
