"""A trailing slash is the same route on every route: the same answer, never a redirect (a redirected PUT
goes elsewhere in browsers, and behind API Gateway to a route that does not exist)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from devtools import template
from devtools.swagger_ui import read_manifest
from tests.support.accounts import create_account
from tests.support.app_state import Backend
from tests.support.auth import PASSWORD

# The docs function's file route, at a file it serves.
FILE = {"{version}": read_manifest()["version"], "{name}": "swagger-ui.css"}
ROUTES = sorted(
    {(route.method, route.path.rstrip("/")) for route in template.routes(template.project_template())}
)


# Routes of the user's own sessions: called with an account signed up through the API (a real password, a
# session and its refresh token), not one made behind the API's back.
SESSION_ROUTES = ("/api/auth/refresh", "/api/auth/password", "/api/auth/sessions/{session_id}")


def _body(method: str, path: str, email: str) -> dict[str, Any] | None:
    if path == "/api/auth/password":
        return {"current_password": PASSWORD, "new_password": "another passphrase"}
    if path == "/api/auth/signup":
        return {"email": f"slash-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD}
    if path == "/api/auth/login":
        return {"email": email, "password": PASSWORD}
    if path.endswith("/complete"):
        return {"completed": True}
    if method in ("POST", "PUT", "PATCH") and "/tasks" in path:
        return {"title": "slashed"}
    return None


def _signed_up(api: httpx.Client) -> tuple[dict[str, str], dict[str, Any]]:
    email = f"slash-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "refresh_token_in_body": True}
    signed = api.post("/api/auth/signup", json=body).json()
    api.cookies.clear()
    return {"Authorization": f"Bearer {signed['token']}"}, signed


def _call_own_session_route(api: httpx.Client, method: str, path: str, slash: str) -> int:
    headers, signed = _signed_up(api)
    if path == "/api/auth/refresh":
        body: dict[str, Any] | None = {"refresh_token": signed["refresh_token"]}
    else:
        body = _body(method, path, "")
    if "{session_id}" in path:
        (own,) = api.get("/api/auth/sessions", headers=headers).json()["sessions"]
        path = path.replace("{session_id}", own["id"])
    return api.request(method, path + slash, json=body, headers=headers, follow_redirects=False).status_code


def _call(api: httpx.Client, database: Backend, email: str, method: str, path: str, slash: str) -> int:
    if path in SESSION_ROUTES:
        return _call_own_session_route(api, method, path, slash)
    account = create_account(database)  # each call its own: logout revokes the token
    task = api.post("/api/tasks", json={"title": "t"}, headers=account.headers).json()
    url = path.replace("{user_id}", account.user_id).replace("{task_id}", str(task["id"]))
    for parameter, value in FILE.items():
        url = url.replace(parameter, value)
    url += slash
    headers = {} if path in ("/api/auth/signup", "/api/auth/login") else account.headers
    response = api.request(
        method, url, json=_body(method, path, email), headers=headers, follow_redirects=False
    )
    return response.status_code


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_trailing_slash_is_the_same_route(
    api: httpx.Client, database: Backend, method: str, path: str
) -> None:
    email = f"slash-{uuid.uuid4().hex[:10]}@example.com"
    assert api.post("/api/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    plain = _call(api, database, email, method, path, "")
    slashed = _call(api, database, email, method, path, "/")
    assert plain < 300, (method, path, plain)
    assert slashed == plain, (method, path)
