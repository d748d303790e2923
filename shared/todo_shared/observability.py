"""Powertools logger, tracer and metrics shared by every function (one instance each per container)."""

from __future__ import annotations

import os
from contextvars import ContextVar

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "todo-api")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "TodoApi")

logger = Logger(service=SERVICE_NAME)
# Switches itself off outside Lambda (and with POWERTOOLS_TRACE_DISABLED).
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

# The id of the request being served (API Gateway's on Lambda), set by the HTTP middleware. A context
# variable, so the local server's concurrent requests (and the worker threads anyio copies it into) each
# see their own; domain code adds it to the security events it logs.
_request_id: ContextVar[str | None] = ContextVar("todo_request_id", default=None)


def bind_request_id(value: str) -> None:
    _request_id.set(value)


def current_request_id() -> str | None:
    return _request_id.get()
