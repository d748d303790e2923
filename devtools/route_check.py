"""Holds template.yaml and the code together: every template route reaches a route of its function's app,
every app route is declared in the template (for the function that serves it), with and without a trailing
slash."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from devtools import template

_PARAMETER = re.compile(r"\{[^}]+\}")
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


def _shape(path: str) -> str:
    """``/api/tasks/{task_id}``, ``/api/tasks/{id}`` and ``/api/tasks/{id}/`` are the same route."""
    return _PARAMETER.sub("{}", path.rstrip("/") or "/")


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The app's public operations, read from its OpenAPI document (what clients are promised)."""
    found = set()
    for path, operations in app.openapi().get("paths", {}).items():
        for method in operations:
            if method.upper() not in IGNORED_METHODS:
                found.add((method.upper(), _shape(path)))
    return found


def route_mismatches(template_document: dict[str, Any], apps: Mapping[str, FastAPI]) -> list[str]:
    """Human-readable differences; empty when template and code agree."""
    problems: list[str] = []
    declared: dict[str, set[tuple[str, str]]] = {name: set() for name in apps}
    for route in template.routes(template_document):
        key = (route.method, _shape(route.path))
        if route.function not in apps:
            problems.append(
                f"template routes {route.method} {route.path} to unknown function {route.function!r}"
            )
            continue
        declared[route.function].add(key)
        if key not in app_routes(apps[route.function]):
            problems.append(
                f"template: {route.method} {route.path} → {route.function}, but its app has no such route"
            )
    literal = {(route.function, route.method, route.path) for route in template.routes(template_document)}
    for function, method, path in sorted(literal):
        twin = path[:-1] if path.endswith("/") else f"{path}/"
        if (function, method, twin) not in literal:
            problems.append(
                f"template: {method} {path} has no twin {method} {twin} (a trailing slash is the same route)"
            )
    for name, app in apps.items():
        for method, path in sorted(app_routes(app) - declared[name]):
            problems.append(f"code: {name} serves {method} {path}, but template.yaml does not route it there")
    return problems
