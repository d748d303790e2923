"""A Docker-free stand-in for ``sam local invoke``: one function's handler with one event file.

    python -m devtools.invoke HealthFunction -e events/health.json
    python -m devtools.invoke health -e events/health.json      # the folder name works too
    python -m devtools.invoke TasksFunction -e events/tasks-list.json --token "$TOKEN" | jq .body

Prints only the handler's result on stdout, as JSON (the function's log lines and metrics go to stderr);
exits 1 when the result is a 5xx. The event files carry placeholders for a token and a user id: without
``--token`` (or ``$TOKEN``) the routes that need one answer 401, which is said on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from devtools import template
from devtools.env_file import load_env_file
from devtools.functions import load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.paths import EVENTS_DIR
from todo_shared.config.settings import SettingsError
from todo_shared.observability import logger

PLACEHOLDERS = json.loads((EVENTS_DIR / "expectations.json").read_text())


def function_folder(name: str) -> str:
    resources = template.project_template()["Resources"]
    if name in resources and resources[name].get("Type") == "AWS::Serverless::Function":
        return Path(resources[name]["Properties"]["CodeUri"]).name
    if name in template.functions(template.project_template()):
        return name
    raise SystemExit(f"error: no function {name!r} in template.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("function", help="logical id in template.yaml (e.g. TasksFunction) or folder name")
    parser.add_argument("-e", "--event", required=True, type=Path, help="event file (JSON)")
    parser.add_argument(
        "--token", default=os.environ.get("TOKEN"), help="a token from login (default: $TOKEN)"
    )
    parser.add_argument(
        "--user-id", default=os.environ.get("USER_ID"), help="your user id (default: $USER_ID)"
    )
    args = parser.parse_args(argv)
    folder = function_folder(args.function)
    try:
        load_env_file()  # as `make run` reads it
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    raw = args.event.read_text(encoding="utf-8")
    if args.token:
        raw = raw.replace(PLACEHOLDERS["placeholder_token"], args.token)
    if args.user_id:
        raw = raw.replace(PLACEHOLDERS["placeholder_user_id"], args.user_id)
    event = json.loads(raw)
    # stdout is the result's alone: the function's log lines and the metrics it prints go to stderr.
    logger.registered_handler.setStream(sys.stderr)  # type: ignore[attr-defined]  # a logging.StreamHandler
    with contextlib.redirect_stdout(sys.stderr):
        result = load_function(folder).handler(event, FakeLambdaContext(function_name=f"{folder}-function"))
    print(json.dumps(result, indent=2))
    status = int(result.get("statusCode", 200))
    if status == 401 and PLACEHOLDERS["placeholder_token"] in raw:
        print(
            "note: 401: the event still holds the token placeholder; pass --token (from /api/auth/login)",
            file=sys.stderr,
        )
    return 1 if status >= 500 else 0


if __name__ == "__main__":
    raise SystemExit(main())
