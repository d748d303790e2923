"""Powertools logger, tracer and metrics shared by every function (one instance each per container)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "todo-api")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "TodoApi")

logger = Logger(service=SERVICE_NAME)
# Switches itself off outside Lambda (and with POWERTOOLS_TRACE_DISABLED).
tracer = Tracer(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)
