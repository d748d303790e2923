"""The app factory's error shape, middleware and Lambda wrapping, on a small app built from the factory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.testclient import TestClient

from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.events import http_api_event
from devtools.template import Route
from tests.support.app_state import reset_app_state, use_database
from tests.support.logs import capture_logs
from todo_shared.http.app_factory import create_app
from todo_shared.http.deps import SessionDep
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter()


class Payload(BaseModel):
    title: str = Field(min_length=1)
    count: int


@router.post("/echo")
def echo(payload: Payload) -> Payload:
    return payload


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("secret internals: SELECT password FROM users")


@router.get("/db")
def touch_database(session: SessionDep) -> dict[str, str]:
    session.connection()
    return {"ok": "yes"}


app = create_app(router)
handler = make_lambda_handler(app)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def test_validation_errors_are_400_with_fields(client: TestClient) -> None:
    response = client.post("/echo", json={"title": "", "count": "many"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    # Frontends show detail alone: it names the first problem, errors lists each.
    assert body["detail"] == "title: string should have at least 1 character"
    assert [error["field"] for error in body["errors"]] == ["title", "count"]


def test_a_detail_keeps_a_leading_word_in_capitals(client: TestClient) -> None:
    response = client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert response.json()["detail"] == "body: the body is not valid JSON."
    not_json = client.post("/echo", content=b"{}", headers={"content-type": "text/plain"})
    assert not_json.json()["detail"] == "body: send the body as JSON, with Content-Type: application/json."


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "message": "The body is not valid JSON."}]


def test_non_object_body_and_unknown_fields_read_plainly(client: TestClient) -> None:
    response = client.post("/echo", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "message": "Must be a JSON object."}]


def test_deeply_nested_body_is_a_400_with_errors(client: TestClient) -> None:
    response = client.post("/echo", content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code in (400, 413)
    assert response.json()["code"] in ("validation_error", "payload_too_large")
    nested = b"[" * 5000 + b"]" * 5000
    response = client.post("/echo", content=nested, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_missing_body_names_the_fields(client: TestClient) -> None:
    response = client.post("/echo")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "body", "message": "This field is required."}]


def test_unexpected_error_is_a_generic_500_without_internals(client: TestClient) -> None:
    with capture_logs() as logs:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "An unexpected error occurred.", "code": "internal_error"}
    assert "SELECT" not in response.text
    assert response.headers["x-request-id"]
    assert "RuntimeError" in logs.text  # the traceback is logged, not returned


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/echo", content=b"x" * (64 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_chunked_body_over_the_limit_is_413_not_a_parse_error(client: TestClient) -> None:
    """A body without Content-Length (chunked upload) is measured as it arrives, and refused as too large."""
    response = client.post(
        "/echo", content=_chunks(64 * 1024 + 1), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": "The body exceeds 65536 bytes.", "code": "payload_too_large"}


def test_chunked_body_within_the_limit_is_read(client: TestClient) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"title": "chunked",'
        yield b' "count": 2}'

    response = client.post("/echo", content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"title": "chunked", "count": 2}


def test_unreachable_database_is_503_with_retry_after(client: TestClient) -> None:
    use_database("postgresql://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    try:
        response = client.get("/db")
    finally:
        reset_app_state()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "detail": "The database is unavailable; please retry shortly.",
        "code": "database_unreachable",
    }


def test_settings_error_in_lambda_is_a_503_and_one_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Lambda settings are resolved on first use: a bad secret must not become a 500 with a traceback."""
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw-not-logged@db.example.com/app")
    monkeypatch.setenv("BETTER_AUTH_SECRET", "short-and-secret")
    reset_app_state()
    try:
        with capture_logs() as logs:
            _event, result = _invoke("GET", "/db")
    finally:
        monkeypatch.undo()
        reset_app_state()
    assert result["statusCode"] == 503
    assert json.loads(result["body"])["code"] == "service_misconfigured"
    errors = [record for record in logs.records if record["level"] == "ERROR"]
    assert [record["message"] for record in errors] == [
        "configuration error: BETTER_AUTH_SECRET must be at least 32 bytes, got 16"
    ]
    assert "exception" not in errors[0]
    assert "short-and-secret" not in logs.text
    assert "pw-not-logged" not in logs.text


def test_sane_incoming_request_id_is_kept_and_unsafe_one_replaced(client: TestClient) -> None:
    assert client.get("/nope", headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    replaced = client.get("/nope", headers={"x-request-id": "bad id\twith spaces"}).headers["x-request-id"]
    assert replaced != "bad id\twith spaces"


def test_openapi_documents_400_not_422(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/echo"]["post"]["responses"]
    assert "422" not in responses
    assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ValidationErrorBody")


def test_no_app_serves_fastapis_own_swagger_page_from_a_cdn(client: TestClient) -> None:
    """Only the docs function's page (with its pinned files and policy) is at /docs."""
    answer = client.get("/docs")
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert "cdn" not in answer.text


def _invoke(method: str, path: str, body: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = json.dumps(body).encode() if body is not None else b""
    event = http_api_event(
        method=method,
        path=path,
        route=Route(method, path, "test"),
        headers=[("content-type", "application/json")],
        body=raw,
    )
    return event, handler(event, FakeLambdaContext())


def test_handler_logs_carry_the_api_gateway_request_id() -> None:
    with capture_logs() as logs:
        event, result = _invoke("GET", "/boom")
    assert result["statusCode"] == 500
    request_id = event["requestContext"]["requestId"]
    assert result["headers"]["x-request-id"] == request_id
    error_lines = [line for line in logs.records if line.get("message") == "unhandled error"]
    assert error_lines
    assert error_lines[0]["correlation_id"] == request_id
    assert error_lines[0]["level"] == "ERROR"


def test_handler_emits_the_cold_start_metric_once(capsys: pytest.CaptureFixture[str]) -> None:
    fresh = make_lambda_handler(app)
    from aws_lambda_powertools.metrics.provider import cold_start

    cold_start.is_cold_start = True
    event = http_api_event(method="GET", path="/nope", route=None)
    fresh(event, FakeLambdaContext())
    fresh(event, FakeLambdaContext())
    metric_lines = [line for line in capsys.readouterr().out.splitlines() if '"ColdStart"' in line]
    assert len(metric_lines) == 1


def test_non_http_event_is_refused_without_raising() -> None:
    result = handler({"source": "aws.events", "detail-type": "Scheduled Event"}, FakeLambdaContext())
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["code"] == "unsupported_event"
