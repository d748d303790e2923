"""The docs function serves the whole API's document on AWS, and that document cannot drift from the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools import openapi, template
from devtools.functions import DOCS_FUNCTION, load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.events import response_parts
from devtools.lambda_kit.transport import match_route
from devtools.paths import EVENTS_DIR

DOCS_PATHS = {"/docs", "/openapi.json"}


def invoke_docs(event_name: str) -> tuple[int, dict[str, str], bytes]:
    event = json.loads((EVENTS_DIR / event_name).read_text())
    result = load_function(DOCS_FUNCTION).handler(event, FakeLambdaContext(function_name="docs-function"))
    status, headers, body = response_parts(result)
    return status, {name.lower(): value for name, value in headers}, body


def test_committed_document_matches_the_code() -> None:
    committed = openapi.COMMITTED_DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.combined_document(), (
        "functions/docs/openapi.json is stale: run `make openapi`"
    )


def test_stale_check_fails_on_a_changed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(openapi.combined_document().replace('"Todo API"', '"Old Todo API"'), encoding="utf-8")
    monkeypatch.setattr(openapi, "COMMITTED_DOCUMENT", stale)
    assert openapi.main(["--check"]) == 1
    assert openapi.main([]) == 0
    assert openapi.main(["--check"]) == 0


def test_document_describes_every_routed_api_operation() -> None:
    document = json.loads(openapi.COMMITTED_DOCUMENT.read_text(encoding="utf-8"))
    documented = {
        (method.upper(), path) for path, operations in document["paths"].items() for method in operations
    }
    routed = {  # each route and its trailing-slash twin are one operation
        (route.method, route.path.rstrip("/"))
        for route in template.routes(template.project_template())
        if route.path.rstrip("/") not in DOCS_PATHS
    }
    # Template and code may name a path parameter alike or not; compare the shapes.
    assert {(m, _shape(p)) for m, p in routed} == {(m, _shape(p)) for m, p in documented}


def test_document_has_the_bearer_scheme_and_the_error_models() -> None:
    document: dict[str, Any] = json.loads(openapi.COMMITTED_DOCUMENT.read_text(encoding="utf-8"))
    schemes = document["components"]["securitySchemes"]
    assert {scheme["scheme"] for scheme in schemes.values()} == {"bearer"}
    assert {"ErrorBody", "ValidationErrorBody"} <= set(document["components"]["schemas"])


def test_docs_function_serves_the_committed_document() -> None:
    status, headers, body = invoke_docs("docs-openapi.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert body == openapi.COMMITTED_DOCUMENT.read_bytes()


def test_docs_function_serves_swagger_ui_pointing_at_the_document() -> None:
    status, headers, body = invoke_docs("docs.json")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"swagger-ui" in body
    assert b"'/openapi.json'" in body or b'"/openapi.json"' in body
    # Swagger UI loads its script and styles from a CDN: the API's `default-src 'none'` must not apply here.
    assert "content-security-policy" not in headers or "'none'" not in headers["content-security-policy"]


def test_docs_events_match_their_template_routes() -> None:
    routes = template.routes(template.project_template())
    for name in ("docs.json", "docs-openapi.json"):
        event = json.loads((EVENTS_DIR / name).read_text())
        route = match_route(routes, event["requestContext"]["http"]["method"], event["rawPath"])
        assert route is not None
        assert route.function == DOCS_FUNCTION
        assert event["routeKey"] == f"{route.method} {route.path}"


def _shape(path: str) -> str:
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))
