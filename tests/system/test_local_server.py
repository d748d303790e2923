"""The README's run command: the local server starts with no settings, on SQLite, honouring PORT, and passes
the same black-box walk-through as the Docker-free Lambda gateway (tests/system/test_local_gateway.py)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx

from devtools.functions import DOCS_FUNCTION, load_function
from devtools.net import running_server
from tests.support.chunked import OVER_THE_LIMIT, post_chunked
from tests.support.walkthrough import walk_through


def test_local_server_serves_health_and_docs_on_a_fresh_state_dir(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "BETTER_AUTH_SECRET", "ENVIRONMENT")
    }
    env.update({"LOCAL_STATE_DIR": str(tmp_path / "state"), "ENV_FILE": str(tmp_path / "x")})
    with running_server("devtools.serve", env) as base:
        health = httpx.get(f"{base}/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert httpx.get(f"{base}/health/ready").json()["database"] == "ok"
        docs = httpx.get(f"{base}/docs")
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
        # The docs function's own page, policy and pinned files, as on AWS.
        docs_function = load_function(DOCS_FUNCTION)
        assert docs.text == docs_function.PAGE
        assert docs.headers["content-security-policy"] == docs_function.PAGE_POLICY
        files = re.findall(r'(?:src|href)="(/docs/[^"]+)"', docs.text)
        assert len(files) == 2
        for path in files:
            served = httpx.get(f"{base}{path}", headers={"accept-encoding": "gzip"})
            assert (served.status_code, served.headers["content-encoding"]) == (200, "gzip"), path
        assert (tmp_path / "state" / "todo.db").is_file()  # migrated on start
        assert (tmp_path / "state" / "dev-secret").is_file()
        walk_through(base)


def test_local_server_refuses_a_chunked_body_over_the_limit_with_413(tmp_path: Path) -> None:
    """The attack on `make run`: an oversized upload without Content-Length."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update({"LOCAL_STATE_DIR": str(tmp_path / "state"), "ENV_FILE": str(tmp_path / "x")})
    with running_server("devtools.serve", env) as base:
        signup = httpx.post(
            f"{base}/api/auth/signup",
            json={"email": "chunked@example.com", "password": "a long passphrase 12"},
        )
        token = signup.json()["token"]
        status, body = post_chunked(base, "/api/tasks", OVER_THE_LIMIT, {"authorization": f"Bearer {token}"})
    assert status == 413
    assert body == {"detail": "The body exceeds 65536 bytes.", "code": "payload_too_large"}
