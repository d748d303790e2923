"""What a SnapStart snapshot holds: each function's init answers its priming request (FastAPI builds every
route's state then) and the before-snapshot hook loads the modules a first request would, without reading
settings or secrets, creating a client, touching a database or writing a line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devtools.paths import ROOT

IMPORT_FUNCTION = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from todo_shared.config import settings
from todo_shared.runtime import lambda_handler

statuses = []
original = lambda_handler.prime
lambda_handler.prime = lambda adapter: statuses.append(original(adapter)) or statuses[-1]
import app
print(json.dumps({"statuses": statuses, "settings_read": settings.get_settings.cache_info().currsize}))
"""


def run_in_function(function: str, code: str) -> dict[str, object]:
    """``code`` run in a fresh interpreter with the function and the layer on its path, in production settings
    whose secrets no store would answer (port 9); what it prints, as JSON. It must write nothing else."""
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo"
    env = {
        "PATH": os.environ["PATH"],
        "ENVIRONMENT": "production",
        "DATABASE_URL_REF": f"{arn}-database",
        "BETTER_AUTH_SECRET_REF": f"{arn}-auth",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "FRONTEND_URL": "https://app.example.com",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "LAMBDA_TASK_ROOT": str(ROOT / "functions" / function),
    }
    finished = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "functions" / function), str(ROOT / "shared")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    answer: dict[str, object] = json.loads(finished.stdout)
    return answer


@pytest.mark.parametrize("function", ["auth", "tasks", "health", "docs"])
def test_init_primes_the_routes_without_settings_secrets_or_logs(function: str) -> None:
    assert run_in_function(function, IMPORT_FUNCTION) == {"statuses": [404], "settings_read": 0}


BEFORE_SNAPSHOT = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
from todo_shared.config import secrets, settings
from todo_shared.runtime import snapstart

wanted = ("aws_lambda_powertools.utilities.parameters", "botocore.config", "todo_shared.db.pg8000_dialect")
before = [name for name in wanted if name in sys.modules]
snapstart.before_snapshot()
print(json.dumps({
    "loaded_before": before,
    "loaded_after": [name for name in wanted if name in sys.modules],
    "settings_read": settings.get_settings.cache_info().currsize,
    "clients": len(secrets._providers),
}))
"""


def test_before_snapshot_loads_the_first_requests_modules_but_no_client_or_secret() -> None:
    assert run_in_function("tasks", BEFORE_SNAPSHOT) == {
        "loaded_before": [],
        "loaded_after": [
            "aws_lambda_powertools.utilities.parameters",
            "botocore.config",
            "todo_shared.db.pg8000_dialect",
        ],
        "settings_read": 0,
        "clients": 0,
    }
