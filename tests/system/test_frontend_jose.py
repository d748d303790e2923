"""A frontend's HS256 token minted by the real ``jose`` package (what the spec's frontends use), byte for byte:
``new SignJWT({sub}).setProtectedHeader({alg: "HS256"}).setIssuedAt().setExpirationTime("7d")`` with the shared
secret, then the task flow through the in-process API.

jose comes from tests/support/typescript (scripts/ensure-node-tools). Without Node.js the test skips, except
with ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from devtools.serve import build_local_app
from tests.support.app_state import TEST_SECRET, Backend
from tests.support.leak_guard import register_token
from todo_shared.config.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
MINT = ROOT / "tests" / "support" / "typescript" / "mint-hs256.mjs"
REQUIRED = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def node_tools() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-node-tools")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode == 3 and not REQUIRED:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, f"scripts/ensure-node-tools failed:\n{result.stderr}"


def jose_token(claims: dict[str, str], expiration_time: str) -> str:
    request = {"secret": TEST_SECRET, "claims": claims, "expirationTime": expiration_time}
    result = subprocess.run(
        ["node", str(MINT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    register_token(result.stdout, "a token minted by jose in test_frontend_jose")
    return result.stdout


@pytest.fixture
def client(database: Backend) -> Iterator[httpx.Client]:
    with TestClient(build_local_app(get_settings()), base_url="http://testserver") as test_client:
        yield test_client


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_token_minted_by_jose_for_seven_days_does_the_task_flow(
    node_tools: None, client: httpx.Client
) -> None:
    sub = uuid.uuid4().hex
    token = jose_token({"sub": sub}, "7d")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token) == {"alg": "HS256"}
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600  # exactly the cap: accepted
    auth = {"Authorization": f"Bearer {token}"}
    created = client.post(f"/api/{sub}/tasks", json={"title": "signed by jose"}, headers=auth)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    assert client.patch(f"/api/{sub}/tasks/{task_id}/complete", headers=auth).json()["completed"] is True
    assert client.delete(f"/api/{sub}/tasks/{task_id}", headers=auth).status_code == 204
    too_long = client.get("/api/tasks", headers={"Authorization": f"Bearer {jose_token({'sub': sub}, '8d')}"})
    assert too_long.status_code == 401
    assert "over the 7 days this API accepts" in too_long.json()["detail"]
