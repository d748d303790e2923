"""Inputs the schema fuzzer (test_fuzz_schema.py) found breaking the documented contract, kept as plain tests
so that they stay covered whatever the fuzzer draws next time.

- A 405 named only one route's methods in ``Allow`` (``OPTIONS /api/tasks`` said ``Allow: GET``, though the
  path also takes POST): FastAPI makes one route per method and Starlette's 405 names the first match's.
  Fixed in ``todo_shared.errors`` (the 405 handler lists every method of the path). Local server only: on
  AWS, API Gateway answers a method missing from the template itself.
- ``OPTIONS /api/tasks/tags`` said ``Allow: GET, PUT, PATCH, DELETE``: the path also matches
  ``/api/tasks/{task_id}``. The 405 handler now lists the methods of the first route's path template only (a
  literal path is matched first, and is its own resource).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from devtools.serve import build_local_app
from todo_shared.config.settings import get_settings

pytestmark = pytest.mark.reliability

# The fuzzer's query string, as it found the bug (q at its 1000-character limit).
FOUND_QUERY = "status=all&q=" + "0" * 1000 + "&sort=created&order=asc&limit=50&offset=0"
METHOD_NOT_ALLOWED = {"detail": "Method not allowed for this resource.", "code": "method_not_allowed"}


@pytest.fixture
def local() -> Iterator[TestClient]:
    """The local server's app; no database: a 405 is decided by routing, before any dependency runs."""
    with TestClient(build_local_app(get_settings()), base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(
    ("method", "target", "allow"),
    [
        # As the fuzzer sent them (its user id 0 is not the caller's: routing comes before any check).
        ("OPTIONS", f"/api/tasks?{FOUND_QUERY}", "GET, POST"),
        ("OPTIONS", f"/api/0/tasks?{FOUND_QUERY}", "GET, POST"),
        ("OPTIONS", "/api/tasks/1", "GET, PUT, PATCH, DELETE"),
        ("OPTIONS", "/api/0/tasks/1", "GET, PUT, PATCH, DELETE"),
        # A literal path is its own resource, not a task id: not /api/tasks/{task_id}'s methods.
        ("OPTIONS", "/api/tasks/tags", "GET"),
        ("OPTIONS", "/api/0/tasks/tags", "GET"),
        # The same bug through other methods and paths.
        ("PUT", "/api/tasks", "GET, POST"),
        ("POST", "/api/tasks/1", "GET, PUT, PATCH, DELETE"),
        ("GET", "/api/tasks/1/complete", "PATCH"),
        ("DELETE", "/health", "GET"),
    ],
)
def test_405_names_every_method_of_the_path(local: TestClient, method: str, target: str, allow: str) -> None:
    response = local.request(method, target)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == METHOD_NOT_ALLOWED


def test_cors_preflight_is_still_answered_by_cors_not_405(local: TestClient) -> None:
    """The fix is in the 405 handler: a browser's preflight never reaches it."""
    response = local.options(
        "/api/tasks",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in response.headers["access-control-allow-methods"]
