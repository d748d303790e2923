"""Each function's init answers its priming request (FastAPI builds every route's state then) without reading
settings or secrets, touching a database or writing a line: a SnapStart snapshot holds none of them."""

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


@pytest.mark.parametrize("function", ["auth", "tasks", "health", "docs"])
def test_init_primes_the_routes_without_settings_secrets_or_logs(function: str) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todo"
    env = {
        "PATH": os.environ["PATH"],
        "ENVIRONMENT": "production",
        # Read at init, these would fail loudly: no store answers on port 9.
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
        [sys.executable, "-c", IMPORT_FUNCTION, str(ROOT / "functions" / function), str(ROOT / "shared")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    assert json.loads(finished.stdout) == {"statuses": [404], "settings_read": 0}
