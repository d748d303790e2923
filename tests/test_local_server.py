"""The README's run command: the local server starts with no settings, on SQLite, honouring PORT."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devtools.paths import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_server_serves_health_and_docs_on_a_fresh_state_dir(tmp_path: Path) -> None:
    port = _free_port()
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
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.1)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/health/ready").json()["database"] == "ok"
        docs = httpx.get(f"http://127.0.0.1:{port}/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        assert (tmp_path / "state" / "todo.db").is_file()  # migrated on start
        assert (tmp_path / "state" / "dev-secret").is_file()
    finally:
        server.terminate()
        server.wait(10)
