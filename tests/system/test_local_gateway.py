"""The Docker-free `sam local start-api` stand-in: real handlers behind template.yaml's routes and CORS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools import template
from devtools.net import running_server
from tests.support.walkthrough import FRONTEND, walk_through


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state: Path = tmp_path_factory.mktemp("gateway")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update({"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env")})
    with running_server("devtools.local_gateway", env) as base:
        yield base


def test_preflight_from_an_allowed_origin_gets_the_template_cors_answer(gateway: str) -> None:
    response = httpx.options(
        f"{gateway}/api/tasks",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,DELETE,PATCH"
    assert response.headers["access-control-allow-headers"] == "content-type,authorization,if-match"
    assert response.headers["access-control-max-age"] == str(
        template.cors(template.project_template()).max_age
    )


def test_preflight_from_another_origin_gets_no_cors_headers(gateway: str) -> None:
    response = httpx.options(
        f"{gateway}/api/tasks",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_black_box_walk_through_through_the_handlers(gateway: str) -> None:
    walk_through(gateway)
    # Unrouted paths get API Gateway's own answer, not the app's.
    assert httpx.get(f"{gateway}/not-a-route").json() == {"message": "Not Found"}


def test_docs_are_served_by_the_docs_function_as_on_aws(gateway: str) -> None:
    docs = httpx.get(f"{gateway}/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    document = httpx.get(f"{gateway}/openapi.json")
    assert document.status_code == 200
    assert {"/api/auth/login", "/api/tasks", "/health"} <= set(document.json()["paths"])
