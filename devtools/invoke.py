"""A Docker-free stand-in for ``sam local invoke``: one function's handler with one event file.

    python -m devtools.invoke HealthFunction -e events/health.json
    python -m devtools.invoke health -e events/health.json      # the folder name works too

Prints the handler's result as JSON; exits 1 when the result is a 5xx.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from devtools import template
from devtools.functions import load_function
from devtools.lambda_events import FakeLambdaContext


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
    args = parser.parse_args(argv)
    folder = function_folder(args.function)
    event = json.loads(args.event.read_text(encoding="utf-8"))
    result = load_function(folder).handler(event, FakeLambdaContext(function_name=f"{folder}-function"))
    print(json.dumps(result, indent=2))
    return 1 if int(result.get("statusCode", 200)) >= 500 else 0


if __name__ == "__main__":
    raise SystemExit(main())
