"""The tasks function as Lambda runs it: its event files, and what it imports.

``events/tasks-*.json`` are HTTP API payload 2.0 events for ``sam local invoke -e`` (with a real token pasted
in place of the placeholder). Here each one is run through the handler, in order, on every database, with the
placeholders replaced the way a developer would replace them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools import template
from devtools.functions import load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.paths import EVENTS_DIR, ROOT
from tests.support.accounts import create_account
from tests.support.app_state import Backend

TOKEN_PLACEHOLDER = "REPLACE_WITH_A_TOKEN_FROM_LOGIN"
USER_PLACEHOLDER = "REPLACE_WITH_YOUR_USER_ID"
# One lifecycle per path style, in the order a client would go: the created task is the one acted on next.
LIFECYCLE = [
    ("create", 201),
    ("list", 200),
    ("get", 200),
    ("replace", 200),
    ("update", 200),
    ("complete", 200),
    ("delete", 204),
]


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))
    return event


def _event_files() -> list[Path]:
    return sorted(EVENTS_DIR.glob("tasks-*.json"))


def test_every_tasks_route_has_one_event_file_that_matches_it() -> None:
    routes = {
        f"{route.method} {route.path}": route
        for route in template.routes(template.project_template())
        if route.function == "tasks" and not route.path.endswith("/")  # a slash twin is the same route
    }
    seen: dict[str, str] = {}
    for path in _event_files():
        event = _event(path.name)
        route = routes.get(event["routeKey"])
        assert route is not None, f"{path.name}: {event['routeKey']} is not a tasks route in template.yaml"
        assert event["version"] == "2.0"
        assert event["requestContext"]["routeKey"] == event["routeKey"]
        assert event["requestContext"]["http"]["method"] == route.method
        assert event["requestContext"]["http"]["path"] == event["rawPath"]
        assert route.pattern.match(event["rawPath"])
        assert event["headers"]["authorization"] == f"Bearer {TOKEN_PLACEHOLDER}"
        if "body" in event:
            json.loads(event["body"])
            assert event["headers"]["content-type"] == "application/json"
        assert event["routeKey"] not in seen, f"{path.name} and {seen[event['routeKey']]} share a route"
        seen[event["routeKey"]] = path.name
    assert set(seen) == set(routes)


def _personalised(event: dict[str, Any], *, token: str, user_id: str, task_id: int | None) -> dict[str, Any]:
    """The event with a real token, user id and task id, as one would edit the file before invoking it."""
    text = json.dumps(event).replace(TOKEN_PLACEHOLDER, token).replace(USER_PLACEHOLDER, user_id)
    filled: dict[str, Any] = json.loads(text)
    if task_id is not None and "task_id" in filled.get("pathParameters", {}):
        old = f"/tasks/{filled['pathParameters']['task_id']}"
        filled["rawPath"] = filled["rawPath"].replace(old, f"/tasks/{task_id}")
        filled["requestContext"]["http"]["path"] = filled["rawPath"]
        filled["pathParameters"]["task_id"] = str(task_id)
    return filled


@pytest.mark.parametrize("style", ["tasks-", "tasks-user-"])
def test_the_event_files_drive_the_handler_through_a_task_lifecycle(database: Backend, style: str) -> None:
    handler = load_function("tasks").handler
    account = create_account(database)
    task_id: int | None = None
    for name, status in LIFECYCLE:
        event = _personalised(
            _event(f"{style}{name}.json"), token=account.token, user_id=account.user_id, task_id=task_id
        )
        result = handler(event, FakeLambdaContext(function_name="tasks-function"))
        assert result["statusCode"] == status, (name, result.get("body"))
        if name == "create":
            created = json.loads(result["body"])
            assert created["title"] == "Buy milk"
            assert created["due_date"] == "2026-12-01T17:00:00Z"
            task_id = created["id"]
        elif name == "list":
            assert json.loads(result["body"])["total"] == 1  # "Buy milk", pending, matches q=milk
        elif name != "delete":
            assert json.loads(result["body"])["id"] == task_id


def test_the_event_files_as_shipped_are_refused_with_401(database: Backend) -> None:
    """Until a real token is pasted in, every event answers 401 (and never a 500)."""
    handler = load_function("tasks").handler
    for path in _event_files():
        result = handler(_event(path.name), FakeLambdaContext(function_name="tasks-function"))
        assert result["statusCode"] == 401, path.name
        assert result["headers"]["www-authenticate"] == (
            'Bearer error="invalid_token", error_description="Token is not a JWT: expected three base64url '
            'parts, header.payload.signature"'
        )


def test_the_tasks_function_does_not_import_password_hashing() -> None:
    """Cold starts pay for every import: no password hashing, no auth routes, no boto3 in the tasks function.

    (The ``bcrypt`` module itself is loaded anyway, by ``cryptography``'s SSH key support when PyJWT loads
    its algorithms: ~0.5 ms, and not this project's hashing code.)
    """
    unwanted = (
        "todo_shared.auth.passwords",
        "todo_shared.auth.sign_in",
        "auth_function_app",
        "boto3",
        "passlib",
        # Secrets are read at the first request, by whichever reader SECRETS_READER names.
        "todo_shared.config.secrets",
        "todo_shared.config.secrets_extension",
    )
    probe = (
        "import sys; from devtools.functions import load_function; load_function('tasks'); "
        f"print(sorted(name for name in {unwanted!r} if name in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.strip() == "[]", completed.stdout + completed.stderr
