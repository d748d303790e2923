"""The README's run command: the local server starts with no settings, on SQLite, honouring PORT, and passes
the same black-box walk-through as the Docker-free Lambda gateway (tests/test_local_gateway.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from devtools.net import free_port, wait_for_http
from devtools.paths import ROOT
from tests.support.walkthrough import walk_through


def test_local_server_serves_health_and_docs_on_a_fresh_state_dir(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "BETTER_AUTH_SECRET", "ENVIRONMENT")
    }
    env.update(
        {"PORT": str(port), "LOCAL_STATE_DIR": str(tmp_path / "state"), "ENV_FILE": str(tmp_path / "x")}
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "devtools.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server)
        health = httpx.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/health/ready").json()["database"] == "ok"
        docs = httpx.get(f"http://127.0.0.1:{port}/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert (tmp_path / "state" / "todo.db").is_file()  # migrated on start
        assert (tmp_path / "state" / "dev-secret").is_file()
        walk_through(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(10)
