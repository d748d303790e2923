"""The health routes, on every database and through both clients."""

from __future__ import annotations

import httpx


def test_health_answers_ok(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database(api: httpx.Client) -> None:
    response = api.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_every_response_has_request_id_and_security_headers(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_method_not_allowed_is_json(api: httpx.Client) -> None:
    response = api.post("/health")
    if "api.example.com" in str(api.base_url):
        # On AWS, API Gateway itself answers routes the template does not declare.
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}
    else:
        assert response.status_code == 405
        assert response.json() == {
            "detail": "Method not allowed for this resource.",
            "code": "method_not_allowed",
        }
