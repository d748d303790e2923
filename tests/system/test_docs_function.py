"""The docs function serves the whole API's document on AWS, and that document cannot drift from the code."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools import openapi, swagger_ui, template
from devtools.functions import DOCS_FUNCTION, load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.events import http_api_event, response_parts
from devtools.lambda_kit.transport import LambdaTransport, match_route
from devtools.paths import EVENTS_DIR

DOCS_PATHS = {"/docs", "/openapi.json", "/docs/swagger-ui/{version}/{name}"}
# API Gateway's limit on a Lambda function's answer (HTTP API payload 2.0), body base64-encoded or not.
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


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


def _spec_path_list(document: dict[str, Any]) -> Any:
    answer = document["paths"]["/api/{user_id}/tasks"]["get"]["responses"]["200"]
    return answer["content"]["application/json"]["schema"]


def test_with_user_path_task_list_object_the_document_says_what_is_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The committed document says array on the spec's path; a deployment answering the page object there
    serves a document that says so (and nothing else changes)."""
    committed = json.loads(openapi.COMMITTED_DOCUMENT.read_text(encoding="utf-8"))
    assert _spec_path_list(committed)["type"] == "array"
    monkeypatch.setenv("USER_PATH_TASK_LIST", "object")
    status, _, body = invoke_docs("docs-openapi.json")
    assert status == 200
    served = json.loads(body)
    assert _spec_path_list(served) == {"$ref": "#/components/schemas/TasksPublic"}
    assert (
        _spec_path_list(served)
        == committed["paths"]["/api/tasks"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    served["paths"]["/api/{user_id}/tasks"] = committed["paths"]["/api/{user_id}/tasks"]
    assert served == committed


def test_a_bad_user_path_task_list_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_PATH_TASK_LIST", "bare")
    status, _, body = invoke_docs("docs-openapi.json")
    assert (status, json.loads(body)["code"]) == (503, "service_misconfigured")


def test_docs_function_serves_swagger_ui_pointing_at_the_document() -> None:
    status, headers, body = invoke_docs("docs.json")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert b'<div id="swagger-ui">' in body
    assert b'url: "/openapi.json"' in body


class _PageParts(HTMLParser):
    """What a page makes the browser load, and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str, str | None]] = []  # (tag, URL, integrity)
        self.inline_scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
        if url is not None:
            self.loads.append((tag, url, attributes.get("integrity")))
        self._in_inline_script = tag == "script" and "src" not in attributes

    def handle_endtag(self, tag: str) -> None:
        self._in_inline_script = False

    def handle_data(self, data: str) -> None:
        if self._in_inline_script:
            self.inline_scripts.append(data)


def page_parts(body: bytes) -> _PageParts:
    parts = _PageParts()
    parts.feed(body.decode("utf-8"))
    return parts


def policy(header: str) -> dict[str, set[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(values) for name, *values in directives}


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    """Through API Gateway's routing of template.yaml, as a browser on the API's origin would ask."""
    with httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as client:
        yield client


def test_docs_page_loads_nothing_from_another_origin(api: httpx.Client) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    assert "//" not in page.text.replace("<!DOCTYPE html>", ""), "the page names another origin"
    parts = page_parts(page.content)
    linked = [(tag, url) for tag, url, _ in parts.loads if url != "data:,"]  # the empty favicon
    assert sorted(tag for tag, _ in linked) == ["link", "script"]
    for _, url in linked:
        assert url.startswith("/docs/swagger-ui/"), url  # a path on the API's own origin


def test_each_file_the_page_loads_is_served_by_the_api_at_the_pinned_version(api: httpx.Client) -> None:
    manifest = swagger_ui.read_manifest()
    version = manifest["version"]
    parts = page_parts(api.get("/docs").content)
    served = {}
    for _, url, integrity in parts.loads:
        if url == "data:,":
            continue
        name = url.rsplit("/", 1)[1]
        assert url == f"/docs/swagger-ui/{version}/{name}"
        answer = api.get(url, headers={"accept-encoding": "gzip"})
        assert answer.status_code == 200, url
        assert answer.headers["content-encoding"] == "gzip"
        assert (
            answer.headers["content-type"]
            == {
                "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
                "swagger-ui.css": "text/css; charset=utf-8",
            }[name]
        )
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["vary"] == "Accept-Encoding"
        # The package's own file (recorded from swagger-ui-dist's tarball), and what the page's SRI expects.
        assert hashlib.sha256(answer.content).hexdigest() == manifest["files"][name]["sha256"]
        digest = base64.b64encode(hashlib.sha384(answer.content).digest()).decode()
        assert integrity == f"sha384-{digest}"
        served[name] = answer.content
    assert sorted(served) == sorted(manifest["files"])
    assert f'"{version}"'.encode() in served["swagger-ui-bundle.js"]  # Swagger UI's own version string


def test_docs_page_policy_allows_only_the_api_and_its_own_initializer(api: httpx.Client) -> None:
    page = api.get("/docs")
    directives = policy(page.headers["content-security-policy"])
    inline = page_parts(page.content).inline_scripts
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in inline
    }
    assert len(hashes) == 1
    assert directives == {
        "default-src": {"'none'"},
        "script-src": {"'self'", *hashes},
        "style-src": {"'self'"},
        "img-src": {"'self'", "data:"},
        "connect-src": {"'self'"},
        "base-uri": {"'none'"},
        "form-action": {"'none'"},
        "frame-ancestors": {"'none'"},
    }
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"  # the next deploy's asset versions, at once


def test_a_client_without_gzip_gets_the_same_file_uncompressed(api: httpx.Client) -> None:
    manifest = swagger_ui.read_manifest()
    url = f"/docs/swagger-ui/{manifest['version']}/swagger-ui.css"
    answer = api.get(url, headers={"accept-encoding": "identity"})
    assert answer.status_code == 200
    assert "content-encoding" not in answer.headers
    assert hashlib.sha256(answer.content).hexdigest() == manifest["files"]["swagger-ui.css"]["sha256"]
    assert api.get(url, headers={"accept-encoding": "gzip;q=0, br"}).headers.get("content-encoding") is None


@pytest.mark.parametrize(
    "path",
    [
        "/docs/swagger-ui/5.0.0/swagger-ui-bundle.js",  # another version than the pinned one
        "/docs/swagger-ui/{version}/swagger-ui-standalone-preset.js",  # not vendored
        "/docs/swagger-ui/{version}/manifest.json",  # beside the files, not one of them
        "/docs/swagger-ui/{version}/swagger-ui.css.gz",
    ],
)
def test_only_the_vendored_files_are_served(api: httpx.Client, path: str) -> None:
    answer = api.get(path.format(version=swagger_ui.read_manifest()["version"]))
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Resource not found.", "code": "not_found"}


def test_a_path_out_of_the_vendored_folder_is_not_served() -> None:
    """As if API Gateway matched an encoded slash into the file name: the function itself refuses it."""
    docs = load_function(DOCS_FUNCTION)
    route = match_route(template.routes(template.project_template()), "GET", "/docs/swagger-ui/v/name")
    for name in ("..%2F..%2Fapp.py", "..%2Fopenapi.json", "%2E%2E%2Fopenapi.json"):
        event = http_api_event(
            method="GET", path=f"/docs/swagger-ui/{docs.SWAGGER_UI_VERSION}/{name}", route=route
        )
        status, _, body = response_parts(docs.handler(event, FakeLambdaContext(function_name="docs")))
        assert (status, json.loads(body)["code"]) == (404, "not_found"), name


def test_the_largest_file_fits_in_a_lambda_response_either_way() -> None:
    docs = load_function(DOCS_FUNCTION)
    route = match_route(template.routes(template.project_template()), "GET", "/docs/swagger-ui/v/name")
    for accept_encoding in ("gzip", "identity"):
        event = http_api_event(
            method="GET",
            path=f"/docs/swagger-ui/{docs.SWAGGER_UI_VERSION}/swagger-ui-bundle.js",
            route=route,
            headers=[("accept-encoding", accept_encoding)],
        )
        result = docs.handler(event, FakeLambdaContext(function_name="docs-function"))
        assert result["statusCode"] == 200
        assert len(json.dumps(result)) < LAMBDA_RESPONSE_LIMIT, accept_encoding


def test_vendored_files_are_the_recorded_package_files() -> None:
    assert swagger_ui.check() == []


def test_a_changed_vendored_file_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "swagger-ui"
    shutil.copytree(swagger_ui.VENDOR_DIR, copy)
    bundle = copy / "swagger-ui-bundle.js.gz"
    tampered = gzip.decompress(bundle.read_bytes()) + b"\nfetch('https://evil.example/');"
    bundle.write_bytes(gzip.compress(tampered))
    (copy / "LICENSE").unlink()
    manifest = swagger_ui.read_manifest()
    assert swagger_ui.check(copy) == [
        f"swagger-ui-bundle.js.gz is not the swagger-ui-dist@{manifest['version']} file",
        "LICENSE is missing",
    ]


def test_docs_events_match_their_template_routes() -> None:
    routes = template.routes(template.project_template())
    for name in ("docs.json", "docs-openapi.json", "docs-swagger-ui.json"):
        event = json.loads((EVENTS_DIR / name).read_text())
        route = match_route(routes, event["requestContext"]["http"]["method"], event["rawPath"])
        assert route is not None
        assert route.function == DOCS_FUNCTION
        assert event["routeKey"] == f"{route.method} {route.path}"


def test_swagger_ui_event_asks_for_a_file_the_page_loads() -> None:
    event = json.loads((EVENTS_DIR / "docs-swagger-ui.json").read_text())
    _, _, page = invoke_docs("docs.json")
    assert event["rawPath"] in {url for _, url, _ in page_parts(page).loads}
    status, headers, _ = invoke_docs("docs-swagger-ui.json")
    assert (status, headers["content-encoding"]) == (200, "gzip")


def _shape(path: str) -> str:
    return "/".join("{}" if part.startswith("{") else part for part in path.split("/"))
