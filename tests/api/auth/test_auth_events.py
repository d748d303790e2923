"""events/auth-*.json are real HTTP API v2 events for the auth handler, and they work in sequence."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, delete

from devtools import template
from devtools.functions import load_function
from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.transport import match_route
from devtools.paths import EVENTS_DIR
from tests.support.app_state import Backend
from tests.support.auth import clear_login_throttle
from todo_shared.db.engine import get_engine
from todo_shared.models import User

PLACEHOLDER = "REPLACE_WITH_A_TOKEN_FROM_LOGIN"


def event(name: str, token: str = PLACEHOLDER) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text().replace(PLACEHOLDER, token))
    return document


def invoke(document: dict[str, Any]) -> tuple[int, dict[str, Any], list[str]]:
    result = load_function("auth").handler(document, FakeLambdaContext(function_name="auth-function"))
    return int(result["statusCode"]), json.loads(result["body"]), list(result.get("cookies") or [])


def test_each_auth_event_matches_its_template_route() -> None:
    routes = template.routes(template.project_template())
    names = sorted(path.name for path in EVENTS_DIR.glob("auth-*.json"))
    assert names == [
        "auth-login.json",
        "auth-logout-all.json",
        "auth-logout.json",
        "auth-password.json",
        "auth-refresh.json",
        "auth-session-delete.json",
        "auth-sessions.json",
        "auth-signup.json",
        "auth-verify.json",
    ]
    for name in names:
        document = event(name)
        assert document["version"] == "2.0"
        method, path = document["requestContext"]["http"]["method"], document["rawPath"]
        route = match_route(routes, method, path)
        assert route is not None
        assert route.function == "auth"
        assert document["routeKey"] == f"{route.method} {route.path}"


def test_the_events_in_sequence(database: Backend) -> None:
    address = json.loads(event("auth-signup.json")["body"])["email"]
    with Session(get_engine()) as session:
        session.exec(delete(User).where(col(User.email) == address))
        session.commit()
    clear_login_throttle()

    status, body, cookies = invoke(event("auth-signup.json"))
    assert status == 201, body
    assert cookies
    assert cookies[0].startswith("todo_auth=")
    assert invoke(event("auth-signup.json"))[0] == 409

    status, body, _ = invoke(event("auth-login.json"))
    assert status == 200, body
    token = body["token"]

    status, body, _ = invoke(event("auth-verify.json", token))
    assert status == 200, body
    assert body["user"]["email"] == address
    assert invoke(event("auth-verify.json"))[0] == 401  # the placeholder itself is no token

    status, body, cookies = invoke(event("auth-logout.json", token))  # the token in the cookie
    assert status == 200, body
    assert any(cookie.startswith("todo_auth=;") for cookie in cookies)
    assert invoke(event("auth-verify.json", token))[0] == 401
