"""Runs the *built* artifacts the way Lambda runs them, one fresh interpreter per invocation.

    python -m devtools.invoke_built --build-dir .aws-sam/build-x86_64

For every entry of ``events/expectations.json``, in order: an isolated Python 3.13 (``-I -S``: no
site-packages, no user paths, no PYTHON* variables) whose ``sys.path`` is only the standard library, the
built function directory (``/var/task`` on Lambda) and the built layer's ``python/`` (``/opt/python``),
imports ``app`` and calls ``app.handler(event, context)``. The status must be the expected one.

Settings are given as on ``sam local``: environment variables, ``ENVIRONMENT=production``, a SQLite database
migrated beforehand. The token and user id placeholders in event files are replaced by those returned by the
last event marked ``capture_token`` (as a user would paste them into the event file).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from devtools import template
from devtools.lambda_transport import match_route
from devtools.migrate import migrate
from devtools.paths import EVENTS_DIR

EXPECTATIONS = EVENTS_DIR / "expectations.json"

# Runs inside the isolated interpreter: argv = function dir, layer python dir, result file; event on stdin.
_BOOTSTRAP = """
import json, sys
function_dir, layer_dir, result_path = sys.argv[1:4]
sys.path[:0] = [function_dir, layer_dir]
class Context:
    function_name = "built-function"; function_version = "$LATEST"; memory_limit_in_mb = 1024
    aws_request_id = "built-invoke"; log_group_name = "/aws/lambda/built"; log_stream_name = "built"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:built-function"
    def get_remaining_time_in_millis(self): return 15000
import app
result = app.handler(json.load(sys.stdin), Context())
with open(result_path, "w") as handle:
    json.dump(result, handle)
"""


def lambda_environment(database_url: str, function: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_FUNCTION_NAME": f"{function}-function",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ENVIRONMENT": "production",
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": "built-artifact-check-secret-0123456789abcdef",
        "BCRYPT_ROUNDS": "10",
        "POWERTOOLS_SERVICE_NAME": function,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TodoApiBuilt",
    }


def invoke(
    python: str, build_dir: Path, resource: str, function: str, event: dict[str, Any], env: dict[str, str]
) -> dict[str, Any]:
    layer_python = build_dir / "SharedLayer" / "python"
    with tempfile.NamedTemporaryFile(suffix=".json") as result_file:
        completed = subprocess.run(
            [
                python,
                "-I",
                "-S",
                "-c",
                _BOOTSTRAP,
                str(build_dir / resource),
                str(layer_python),
                result_file.name,
            ],
            input=json.dumps(event),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{function} crashed:\n{completed.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(Path(result_file.name).read_text())
    return result


def resource_names() -> dict[str, str]:
    """Function folder → logical id (sam build names its output folders by logical id)."""
    return {
        Path(resource["Properties"]["CodeUri"]).name: logical_id
        for logical_id, resource in template.project_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--python", default=sys.executable, help="a Python 3.13 interpreter")
    args = parser.parse_args(argv)
    manifest = json.loads(EXPECTATIONS.read_text())
    token_placeholder = manifest["placeholder_token"]
    user_placeholder = manifest["placeholder_user_id"]
    routes = template.routes(template.project_template())
    resources = resource_names()
    failures = 0
    token, user_id = token_placeholder, user_placeholder
    with tempfile.TemporaryDirectory() as state:
        database_url = f"sqlite:///{state}/built.db"
        migrate(database_url)
        for entry in manifest["sequence"]:
            raw = (EVENTS_DIR / entry["event"]).read_text()
            event = json.loads(raw.replace(token_placeholder, token).replace(user_placeholder, user_id))
            route = match_route(routes, event["requestContext"]["http"]["method"], event["rawPath"])
            if route is None:
                print(f"FAIL {entry['event']}: no template route for {event['routeKey']}")
                failures += 1
                continue
            started = time.perf_counter()
            env = lambda_environment(database_url, route.function)
            result = invoke(
                args.python, args.build_dir, resources[route.function], route.function, event, env
            )
            elapsed = (time.perf_counter() - started) * 1000
            status = int(result["statusCode"])
            verdict = "ok  " if status == entry["status"] else "FAIL"
            failures += status != entry["status"]
            print(
                f"{verdict} {entry['event']:<32} {route.function:<8} {status} (want {entry['status']}) {elapsed:6.0f} ms"
            )
            if entry.get("capture_token") and status < 300:
                body = json.loads(result["body"])
                token, user_id = body["token"], body["user"]["id"]
    covered = {entry["event"] for entry in manifest["sequence"]}
    missing = sorted(
        path.name for path in EVENTS_DIR.glob("*.json") if path != EXPECTATIONS and path.name not in covered
    )
    for name in missing:
        print(f"FAIL {name}: not in events/expectations.json")
    failures += len(missing)
    print(f"{len(covered) - failures if failures <= len(covered) else 0} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
