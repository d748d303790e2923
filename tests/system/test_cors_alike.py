"""CORS: one preflight cache figure (the template's), and a preflight answered alike by `make run`'s server and
the local gateway, as API Gateway answers it (the README's table records what `sam local start-api` does).

The attack of chance: `make run` answered a preflight from an origin it does not trust with a plain-text 400
that still carried CORS headers, and docs/api.md promised a 600 s preflight cache where everything sends 7200.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest

from devtools import template
from devtools.net import running_server
from devtools.paths import ROOT

FRONTEND = "http://localhost:3000"
ASKED = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization,if-match"}


def test_the_documented_preflight_cache_is_the_templates() -> None:
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = re.search(r"^\| preflight cache \| (\d+) s\b", api, flags=re.MULTILINE)
    assert documented is not None
    assert int(documented.group(1)) == template.cors(template.project_template()).max_age


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    state = tmp_path_factory.mktemp("cors")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env |= {"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env")}
    with (
        running_server("devtools.serve", env) as local,
        running_server("devtools.local_gateway", env) as gateway,
    ):
        yield {"make run": local, "local gateway": gateway}


def answer(base: str, origin: str, path: str = "/api/tasks/1") -> tuple[int, bytes, dict[str, str]]:
    response = httpx.options(f"{base}{path}", headers={"Origin": origin, **ASKED})
    cors = {name: value for name, value in response.headers.items() if name.startswith("access-control-")}
    return response.status_code, response.content, cors


@pytest.mark.parametrize(
    "origin", ["https://evil.example.com", "http://localhost:3001", "null"], ids=["other", "port", "null"]
)
def test_a_refused_preflight_is_answered_alike(servers: dict[str, str], origin: str) -> None:
    answers = {name: answer(base, origin) for name, base in servers.items()}
    assert answers["make run"] == answers["local gateway"] == (204, b"", {}), answers


def test_an_allowed_preflight_is_answered_alike(servers: dict[str, str]) -> None:
    answers = {name: answer(base, FRONTEND) for name, base in servers.items()}
    assert answers["make run"] == answers["local gateway"], answers
    status, _, headers = answers["make run"]
    assert status == 204
    assert headers["access-control-allow-origin"] == FRONTEND
    assert headers["access-control-max-age"] == str(template.cors(template.project_template()).max_age)


def test_a_preflight_asking_for_a_method_not_configured_is_still_the_browsers_to_refuse(
    servers: dict[str, str],
) -> None:
    """API Gateway does not compare the method or headers asked for with its configuration; neither do these."""
    for base in servers.values():
        response = httpx.options(
            f"{base}/api/tasks",
            headers={
                "Origin": FRONTEND,
                "Access-Control-Request-Method": "TRACE",
                "Access-Control-Request-Headers": "x-custom",
            },
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,DELETE,PATCH"
