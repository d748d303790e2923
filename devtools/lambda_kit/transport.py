"""An httpx transport that sends each request through the Lambda handler template.yaml routes it to.

``httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com")`` then behaves like a
client of the deployed HTTP API: routing by the template's routes (404 from "API Gateway" otherwise),
payload 2.0 events, cookies in and out. A request's ``X-Test-Source-Address`` header, if any, is not passed
on: it names the address the request comes from (the event's ``sourceIp``), as the network would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from devtools import template
from devtools.functions import load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.events import DEFAULT_SOURCE_IP, http_api_event, response_parts

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
SOURCE_ADDRESS_HEADER = "x-test-source-address"


def match_route(routes: list[template.Route], method: str, path: str) -> template.Route | None:
    candidates = [route for route in routes if route.method in (method, "ANY") and route.pattern.match(path)]
    # API Gateway prefers the most specific route: fewer variables, then longer literal paths.
    candidates.sort(key=lambda route: (route.path.count("{"), -len(route.path)))
    return candidates[0] if candidates else None


class LambdaTransport(httpx.BaseTransport):
    def __init__(self, handlers: dict[str, Handler] | None = None, *, timeout_seconds: float = 15.0) -> None:
        self.routes = template.routes(template.project_template())
        self.handlers = handlers or {}
        self.timeout_ms = int(timeout_seconds * 1000)  # each invocation's, as the template's Timeout

    def handler_for(self, function: str) -> Handler:
        if function not in self.handlers:
            self.handlers[function] = load_function(function).handler
        return self.handlers[function]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        route = match_route(self.routes, request.method, path)
        if route is None:
            body = json.dumps({"message": "Not Found"}).encode()
            return httpx.Response(
                404,
                headers={"content-type": "application/json"},
                stream=httpx.ByteStream(body),
                request=request,
            )
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        event = http_api_event(
            method=request.method,
            path=path,
            route=route,
            query=request.url.query.decode("ascii"),
            headers=[
                *((name, value) for name, value in headers if name.lower() != SOURCE_ADDRESS_HEADER),
                ("x-forwarded-proto", request.url.scheme),  # API Gateway always says https; locally maybe not
            ],
            body=request.read(),
            source_ip=request.headers.get(SOURCE_ADDRESS_HEADER, DEFAULT_SOURCE_IP),
            domain=request.url.host,
        )
        context = FakeLambdaContext(function_name=f"{route.function}-function", timeout_ms=self.timeout_ms)
        status, headers, content = response_parts(self.handler_for(route.function)(event, context))
        # As a stream, as from the network: a client decodes a Content-Encoding, the local gateway passes it on.
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)
