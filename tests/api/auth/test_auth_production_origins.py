"""Outside local development, a localhost page is a foreign origin unless FRONTEND_URL names it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.support.app_state import reset_app_state
from tests.support.auth import signup, token_of, unique_email

LOCAL_PAGE = "http://localhost:3000"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The API with production settings (a strong secret, no FRONTEND_URL), for requests after signup."""
    yield monkeypatch
    reset_app_state()


def _switch_to_production(monkeypatch: pytest.MonkeyPatch, frontend_url: str | None) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("BETTER_AUTH_SECRET", secrets.token_urlsafe(48))
    monkeypatch.setenv("BCRYPT_ROUNDS", "10")  # the production minimum
    if frontend_url is None:
        monkeypatch.delenv("FRONTEND_URL", raising=False)
    else:
        monkeypatch.setenv("FRONTEND_URL", frontend_url)
    reset_app_state()


def test_a_localhost_page_cannot_use_the_cookie_in_production(
    api: httpx.Client, production: pytest.MonkeyPatch
) -> None:
    """The attack: any page served on a victim's localhost:3000 posts with their cookie."""
    _switch_to_production(production, frontend_url=None)
    token = token_of(signup(api, unique_email("localhost")))
    forged = api.post("/api/auth/logout", headers={"Cookie": f"todo_auth={token}", "Origin": LOCAL_PAGE})
    assert forged.status_code == 403
    assert forged.json()["code"] == "cross_site_request"
    assert api.get("/api/auth/verify", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_a_localhost_origin_named_in_frontend_url_is_trusted_in_production(
    api: httpx.Client, production: pytest.MonkeyPatch
) -> None:
    _switch_to_production(production, frontend_url=f"https://todo.example.com,{LOCAL_PAGE}")
    token = token_of(signup(api, unique_email("named")))
    allowed = api.post("/api/auth/logout", headers={"Cookie": f"todo_auth={token}", "Origin": LOCAL_PAGE})
    assert allowed.status_code == 200
    assert api.get("/api/auth/verify", headers={"Authorization": f"Bearer {token}"}).status_code == 401
