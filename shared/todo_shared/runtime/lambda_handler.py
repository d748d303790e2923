"""Wraps an ASGI app as a Lambda handler: Mangum inside Powertools logger, tracer and metrics.

Order, outermost first: the logger (so every line, including the tracer's and the metrics flush, carries
the API Gateway request id as correlation id), then the tracer (its segment covers the whole invocation),
then metrics (flushed after the response is built, with the cold-start metric on the first invocation).

At init the app answers one request for a path no route has (``prime``): FastAPI builds every route's state
on its first request (tens of ms), and that work belongs in init, where a SnapStart snapshot keeps it. anyio's
asyncio backend is loaded then too.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

import anyio
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum
from starlette.types import ASGIApp

from todo_shared.observability import logger, metrics, tracer
from todo_shared.runtime import inline_sync
from todo_shared.runtime.snapstart import register_snapstart_hooks

# The context is typed loosely: Lambda passes its own object, tests and devtools a look-alike.
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

# Most requests add no business metric; the flush would warn on each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def is_http_api_event(event: Any) -> bool:
    return isinstance(event, dict) and "requestContext" in event and ("rawPath" in event or "path" in event)


# Matched by no route of any function: the app answers 404 without reading settings, secrets or the database,
# and without a log line.
PRIME_PATH = "/_init/prime"


def prime_event() -> dict[str, Any]:
    """The HTTP API event of the init request."""
    http = {
        "method": "GET",
        "path": PRIME_PATH,
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "",
    }
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": PRIME_PATH,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": http, "requestId": "init", "stage": "$default"},
        "isBase64Encoded": False,
    }


async def _load_async_backend() -> None:
    anyio.Lock()  # anyio imports its asyncio backend on first use: FastAPI's dependencies need it


def prime(adapter: Mangum) -> int:
    """Answer the init request (outside Powertools: no invocation, no metric) and load what every route's
    first request would (anyio's backend, about 20 ms); the request's status code."""
    with inline_sync.inline_sync_calls():
        response = adapter(prime_event(), None)  # type: ignore[arg-type]  # no Lambda context at init
    # The loop Mangum has just run on (and set as current): the one every request will use.
    asyncio.get_event_loop().run_until_complete(_load_async_backend())
    status: int = response["statusCode"]
    return status


def make_lambda_handler(app: ASGIApp) -> LambdaHandler:
    register_snapstart_hooks()  # a no-op unless SnapStart's runtime library is there
    inline_sync.install()
    adapter = Mangum(app, lifespan="off")  # type: ignore[arg-type]  # Starlette and Mangum spell ASGI apart
    prime(adapter)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)  # responses carry tokens: keep them out of X-Ray
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if not is_http_api_event(event):
            # Schedules, warmers and test consoles: Mangum would raise on them.
            logger.warning("ignored a non-HTTP event", extra={"event_type": type(event).__name__})
            return {"statusCode": 400, "body": '{"detail":"Not an HTTP event.","code":"unsupported_event"}'}
        with inline_sync.inline_sync_calls():  # one request per container: no worker thread needed
            return adapter(event, context)  # type: ignore[arg-type]  # Powertools and Mangum type the context apart

    return handler  # type: ignore[no-any-return]  # the Powertools decorators are untyped
