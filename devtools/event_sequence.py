"""Every events/ file, in the order of events/expectations.json, through some way of invoking a function.

The event files hold placeholders for a token, a refresh token and a user id
(``REPLACE_WITH_A_TOKEN_FROM_LOGIN``, ``REPLACE_WITH_A_REFRESH_TOKEN_FROM_LOGIN``, ``REPLACE_WITH_YOUR_USER_ID``);
they are replaced by those returned by the last event marked ``capture_token``, as a user would paste them into
the event file. Used by devtools.invoke_built (the built
handlers in a bare interpreter) and by tests/system/test_sam_local.py (``sam local invoke``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools import template
from devtools.lambda_kit.transport import match_route
from devtools.paths import EVENTS_DIR

EXPECTATIONS = EVENTS_DIR / "expectations.json"


@dataclass(frozen=True, slots=True)
class EventStep:
    name: str  # the file's name under events/
    expected: int
    event: dict[str, Any]  # placeholders filled in
    function: str  # the function's folder name
    resource: str  # its logical id (sam build's folder, sam local's argument)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    status: int
    body: str
    problem: str | None = None  # another reason to fail, besides the status
    note: str = ""  # printed after the status


def function_resources() -> dict[str, str]:
    """Function folder → logical id."""
    return {
        Path(resource["Properties"]["CodeUri"]).name: logical_id
        for logical_id, resource in template.project_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def replay_events(invoke: Callable[[EventStep], EventOutcome]) -> int:
    """Runs every entry through ``invoke``, printing one line each and a closing ``N passed, N failed``;
    returns the number of failures (an event file missing from the manifest counts as one)."""
    manifest = json.loads(EXPECTATIONS.read_text())
    token_placeholder = manifest["placeholder_token"]
    user_placeholder = manifest["placeholder_user_id"]
    refresh_placeholder = manifest["placeholder_refresh_token"]
    routes = template.routes(template.project_template())
    resources = function_resources()
    token, user_id, refresh_token = token_placeholder, user_placeholder, refresh_placeholder
    passed = failures = 0
    for entry in manifest["sequence"]:
        raw = (EVENTS_DIR / entry["event"]).read_text()
        filled = raw.replace(token_placeholder, token).replace(user_placeholder, user_id)
        event = json.loads(filled.replace(refresh_placeholder, refresh_token))
        route = match_route(routes, event["requestContext"]["http"]["method"], event["rawPath"])
        if route is None:
            print(f"FAIL {entry['event']}: no template route for {event['routeKey']}", flush=True)
            failures += 1
            continue
        step = EventStep(entry["event"], entry["status"], event, route.function, resources[route.function])
        started = time.perf_counter()
        outcome = invoke(step)
        elapsed = (time.perf_counter() - started) * 1000
        ok = outcome.status == step.expected and outcome.problem is None
        passed += ok
        failures += not ok
        note = f", {outcome.note}" if outcome.note else ""
        print(
            f"{'ok  ' if ok else 'FAIL'} {step.name:<32} {step.function:<8} {outcome.status} "
            f"(want {step.expected}) {elapsed:6.0f} ms{note}",
            flush=True,
        )
        if outcome.problem:
            print(f"     {outcome.problem}", flush=True)
        if entry.get("capture_token") and outcome.status < 300:
            body = json.loads(outcome.body)
            token, user_id = body["token"], body["user"]["id"]
            refresh_token = body.get("refresh_token") or refresh_token
    covered = {entry["event"] for entry in manifest["sequence"]}
    missing = sorted(
        path.name for path in EVENTS_DIR.glob("*.json") if path != EXPECTATIONS and path.name not in covered
    )
    for name in missing:
        print(f"FAIL {name}: not in events/expectations.json")
    failures += len(missing)
    print(f"{passed} passed, {failures} failed", flush=True)
    return failures
