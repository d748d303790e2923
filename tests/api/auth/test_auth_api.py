"""/api/auth signup, login, logout and verify: every database, in-process and through the Lambda handler."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import bcrypt
import httpx
import jwt
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from devtools.lambda_kit.transport import LambdaTransport
from devtools.serve import build_local_app
from tests.support.app_state import TEST_SECRET
from tests.support.auth import (
    PASSWORD,
    bearer,
    clear_login_throttle,
    run_concurrently,
    signup,
    through_lambda,
    token_of,
    unique_email,
)
from todo_shared.auth.tokens import ISSUER
from todo_shared.config.settings import get_settings
from todo_shared.db.engine import get_engine
from todo_shared.models import User

AUTH_KEYS = {"user", "token", "access_token", "token_type", "expires_at", "message", "refresh_token"}
USER_KEYS = {"id", "email", "name", "created_at"}


@pytest.fixture(autouse=True)
def _fresh_throttle(api: httpx.Client) -> Iterator[None]:
    clear_login_throttle()
    yield
    clear_login_throttle()


def post_json(api: httpx.Client, route: str, body: object) -> httpx.Response:
    """JSON with every non-ASCII character escaped, so lone surrogates can be sent as JSON allows."""
    return api.post(route, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


def auth_cookie(response: httpx.Response) -> str:
    cookies = [value for name, value in response.headers.multi_items() if name == "set-cookie"]
    matching = [cookie for cookie in cookies if cookie.startswith("todo_auth=")]
    assert len(matching) == 1, cookies
    return matching[0]


def assert_cookie_attributes(api: httpx.Client, cookie: str) -> None:
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age", "expires"} <= attributes
    if through_lambda(api):  # HTTPS behind API Gateway, frontend on another site
        assert "SameSite=None" in cookie
        assert {"secure", "partitioned"} <= attributes
    else:  # plain-http localhost
        assert "SameSite=Lax" in cookie
        assert "secure" not in attributes


def test_signup_creates_the_account_and_signs_in(api: httpx.Client) -> None:
    email = unique_email("New")
    response = signup(api, "  " + email.upper() + " ", name="  Ada Lovelace ")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == AUTH_KEYS
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["email"] == email.lower()
    assert body["user"]["name"] == "Ada Lovelace"
    assert body["token_type"] == "bearer"
    assert body["access_token"] == body["token"]  # the OAuth 2 name most clients read
    assert body["message"] == "Account created successfully"
    claims = jwt.decode(body["token"], TEST_SECRET, algorithms=["HS256"])
    assert claims["sub"] == claims["user_id"] == body["user"]["id"]
    assert claims["email"] == email.lower()
    assert claims["iss"] == ISSUER
    assert isinstance(claims["jti"], str)
    assert claims["jti"]
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert expires_at.tzinfo is not None
    assert expires_at == datetime.fromtimestamp(claims["exp"], UTC)
    lifetime = timedelta(minutes=get_settings().jwt_expires_minutes)
    assert abs(expires_at - (datetime.now(UTC) + lifetime)) < timedelta(minutes=1)
    cookie = auth_cookie(response)
    assert cookie.startswith(f"todo_auth={body['token']};")
    assert_cookie_attributes(api, cookie)
    with Session(get_engine()) as session:
        stored = session.get(User, body["user"]["id"])
        assert stored is not None
        assert stored.password_hash is not None
        assert stored.password_hash.startswith("$2b$")
        assert PASSWORD not in stored.password_hash


def test_signup_name_is_optional(api: httpx.Client) -> None:
    response = signup(api, unique_email())
    assert response.status_code == 201
    assert response.json()["user"]["name"] is None


def test_signup_refuses_an_email_registered_in_another_case(api: httpx.Client) -> None:
    email = unique_email()
    assert signup(api, email).status_code == 201
    response = signup(api, email.upper(), password="another-password")
    assert response.status_code == 409
    assert response.json() == {"detail": "This email is already registered", "code": "email_taken"}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email", "Enter a valid email address"),
        ({"email": "a@b", "password": PASSWORD}, "email", "Enter a valid email address"),
        ({"email": "a\u0000b@example.com", "password": PASSWORD}, "email", "Enter a valid email address"),
        (
            {"email": "ok@example.com", "password": "short"},
            "password",
            "Password must be at least 8 characters long",
        ),
        (
            {"email": "ok@example.com", "password": "a" * 73},
            "password",
            "Password must be at most 72 bytes long (UTF-8)",
        ),
        (
            {"email": "ok@example.com", "password": "€" * 25},
            "password",
            "Password must be at most 72 bytes long (UTF-8)",
        ),
        (
            {"email": "ok@example.com", "password": "abcdefgh\u0000"},
            "password",
            "Password must not contain NUL characters",
        ),
        (
            {"email": "ok@example.com", "password": PASSWORD, "name": "x" * 256},
            "name",
            "Name must be at most 255 characters long",
        ),
        (
            {"email": "ok@example.com", "password": PASSWORD, "name": "a\u0000b"},
            "name",
            "Name must not contain control characters",
        ),
        ({"email": "ok@example.com"}, "password", "This field is required."),
        ({"password": PASSWORD}, "email", "This field is required."),
        ({"email": 42, "password": PASSWORD}, "email", None),
        ({"email": "ok@example.com", "password": 12345678}, "password", None),
    ],
    ids=[
        "bad-email",
        "email-without-domain-dot",
        "email-with-nul",
        "short-password",
        "73-byte-password",
        "25-chars-75-bytes",
        "password-with-nul",
        "long-name",
        "name-with-nul",
        "missing-password",
        "missing-email",
        "email-not-string",
        "password-not-string",
    ],
)
def test_signup_validation_errors_are_400(
    api: httpx.Client, body: dict[str, object], field: str, message: str | None
) -> None:
    response = post_json(api, "/api/auth/signup", body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == "validation_error"
    errors = {item["field"]: item["message"] for item in payload["errors"]}
    assert field in errors
    if message is not None:
        assert errors[field] == message
    password = body.get("password")
    if isinstance(password, str):
        assert password not in response.text


@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"[]", b"null", b'{"email": "x@example.com", "password": "\\ud800\\udc00x"', b'"str"'],
    ids=["empty", "not-json", "array", "null", "truncated", "string"],
)
@pytest.mark.parametrize("route", ["/api/auth/signup", "/api/auth/login"])
def test_malformed_bodies_are_400(api: httpx.Client, route: str, content: bytes) -> None:
    response = api.post(route, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_login_returns_a_token_and_cookie(api: httpx.Client) -> None:
    email = unique_email()
    created = signup(api, email, name="Grace").json()
    response = api.post("/api/auth/login", json={"email": f" {email.upper()} ", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == AUTH_KEYS
    assert body["user"] == created["user"]
    assert body["message"] == "Login successful"
    assert body["access_token"] == body["token"]
    assert body["token"] != created["token"]
    assert_cookie_attributes(api, auth_cookie(response))
    verified = api.get("/api/auth/verify", headers=bearer(body["token"]))
    assert verified.status_code == 200


@pytest.mark.parametrize(
    "password",
    ["wrong-password", "", "x" * 100, "€" * 30, "abc\u0000defgh", "\ud800surrogate"],
    ids=["wrong", "empty", "100-bytes", "90-bytes-multibyte", "nul", "surrogate"],
)
def test_login_failures_all_look_alike(api: httpx.Client, password: str) -> None:
    email = unique_email()
    signup(api, email)
    wrong = post_json(api, "/api/auth/login", {"email": email, "password": password})
    unknown = post_json(api, "/api/auth/login", {"email": unique_email("nobody"), "password": password})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid email or password", "code": "invalid_credentials"}
        assert response.headers["www-authenticate"] == "Bearer"
        assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a\u0000@example.com", "\ud800@example.com", "x" * 5000 + "@example.com", ""],
    ids=["no-at", "nul", "surrogate", "huge", "empty"],
)
def test_login_with_unusable_emails_is_401_not_500(api: httpx.Client, email: str) -> None:
    response = post_json(api, "/api/auth/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_unknown_email_costs_one_bcrypt_check_like_a_wrong_password(
    api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = unique_email()
    signup(api, email)
    checks: list[bytes] = []
    original = bcrypt.checkpw

    def counting(candidate: bytes, hashed: bytes) -> bool:
        result = original(candidate, hashed)
        checks.append(hashed)
        return result

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    assert api.post("/api/auth/login", json={"email": email, "password": "wrong-password"}).status_code == 401
    assert len(checks) == 1
    assert api.post("/api/auth/login", json={"email": unique_email(), "password": "wrong"}).status_code == 401
    assert len(checks) == 2
    # (against a stored decoy hash, possibly this very account's: test_auth_credentials.py)
    assert api.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    assert len(checks) == 3


def test_verify_returns_the_user_for_a_bearer_token_or_the_cookie(api: httpx.Client) -> None:
    created = signup(api, unique_email(), name="Cookie Monster").json()
    by_header = api.get("/api/auth/verify", headers=bearer(created["token"]))
    by_cookie = api.get("/api/auth/verify", headers={"Cookie": f"todo_auth={created['token']}"})
    for response in (by_header, by_cookie):
        assert response.status_code == 200
        assert response.json() == {"user": created["user"], "expires_at": created["expires_at"]}


def test_the_client_keeps_and_sends_the_cookie(api: httpx.Client) -> None:
    signup(api, unique_email())
    assert api.cookies.get("todo_auth")
    assert api.get("/api/auth/verify").status_code == 200


def test_a_malformed_header_does_not_fall_back_to_the_cookie(api: httpx.Client) -> None:
    token = token_of(signup(api, unique_email()))
    response = api.get(
        "/api/auth/verify", headers={"Authorization": "Basic dXNlcjpwYXNz", "Cookie": f"todo_auth={token}"}
    )
    assert response.status_code == 401


def test_logout_revokes_only_the_presented_token_everywhere(api: httpx.Client) -> None:
    email = unique_email()
    first = token_of(signup(api, email))
    second = token_of(api.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
    api.cookies.clear()  # the second login is another device's: this client presents only the first token
    response = api.post("/api/auth/logout", headers=bearer(first))
    assert response.status_code == 200
    assert response.json() == {"message": "Logged out successfully"}
    cleared = auth_cookie(response)
    assert cleared.startswith("todo_auth=;")
    assert "Max-Age=0" in cleared
    assert api.get("/api/auth/verify", headers=bearer(first)).status_code == 401
    assert api.get("/api/auth/verify", headers=bearer(second)).status_code == 200
    # Another "container": a separate client and handler see the revocation through the database.
    with httpx.Client(transport=LambdaTransport(), base_url="https://api.example.com") as other:
        assert other.get("/api/auth/verify", headers=bearer(first)).status_code == 401
        assert other.get("/api/auth/verify", headers=bearer(second)).status_code == 200


def test_logout_is_idempotent(api: httpx.Client) -> None:
    token = token_of(signup(api, unique_email()))
    for _ in range(3):
        response = api.post("/api/auth/logout", headers=bearer(token))
        assert response.status_code == 200
        assert "Max-Age=0" in auth_cookie(response)
    assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 401


def test_logout_through_the_cookie_clears_it(api: httpx.Client) -> None:
    signup(api, unique_email())
    token = api.cookies.get("todo_auth")
    assert token
    assert api.post("/api/auth/logout").status_code == 200
    assert api.cookies.get("todo_auth") is None
    response = api.get("/api/auth/verify")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required", "code": "not_authenticated"}
    assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 401


def test_logout_needs_a_token_but_accepts_unusable_ones(api: httpx.Client) -> None:
    missing = api.post("/api/auth/logout")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    expired = jwt.encode(
        {"sub": "someone", "exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, TEST_SECRET
    )
    for token in ("garbage", expired):
        response = api.post("/api/auth/logout", headers=bearer(token))
        assert response.status_code == 200
        assert "Max-Age=0" in auth_cookie(response)


def test_the_cookie_is_refused_on_state_changes_from_a_foreign_origin(api: httpx.Client) -> None:
    token = token_of(signup(api, unique_email()))
    cookie = {"Cookie": f"todo_auth={token}"}
    forged = api.post("/api/auth/logout", headers={**cookie, "Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert forged.json() == {
        "detail": "Cross-site requests cannot use the auth cookie.",
        "code": "cross_site_request",
    }
    # Reads are protected by CORS, not by this guard; the token was not revoked.
    assert (
        api.get("/api/auth/verify", headers={**cookie, "Origin": "https://evil.example"}).status_code == 200
    )
    # The frontend's own origin may use the cookie.
    allowed = api.post("/api/auth/logout", headers={**cookie, "Origin": "http://localhost:3000"})
    assert allowed.status_code == 200
    assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 401


def test_a_bearer_header_needs_no_origin_check(api: httpx.Client) -> None:
    token = token_of(signup(api, unique_email()))
    response = api.post("/api/auth/logout", headers={**bearer(token), "Origin": "https://elsewhere.example"})
    assert response.status_code == 200


def test_the_backend_guide_walkthrough(api: httpx.Client) -> None:
    """signup → login (cookie) → verify with the bearer token → logout → verify gives 401."""
    email = unique_email("walkthrough")
    assert signup(api, email, name="Test").status_code == 201
    login = api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    verify = api.get("/api/auth/verify", headers=bearer(token))
    assert verify.status_code == 200
    assert verify.json()["user"]["email"] == email
    assert api.post("/api/auth/logout", headers=bearer(token)).status_code == 200
    after = api.get("/api/auth/verify", headers=bearer(token))
    assert after.status_code == 401
    assert after.json() == {
        "detail": "This token was revoked (logged out): log in again",
        "code": "invalid_token",
    }


def test_simultaneous_signups_with_one_email_give_one_201(api: httpx.Client) -> None:
    email = unique_email("race")
    variants = [email, email.upper(), f" {email} ", email.capitalize()] * 2
    calls: list[Callable[[], httpx.Response]] = [
        functools.partial(signup, api, variant) for variant in variants
    ]
    responses = run_concurrently(calls)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (len(variants) - 1), [response.text for response in responses]
    with Session(get_engine()) as session:
        rows = session.exec(select(User).where(User.email == email)).all()
    assert len(rows) == 1


def test_openapi_documents_the_auth_routes_and_bearer_scheme() -> None:
    with TestClient(build_local_app(get_settings())) as client:
        schema = client.get("/openapi.json").json()
    for path, method in [
        ("/api/auth/signup", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/verify", "get"),
    ]:
        operation = schema["paths"][path][method]
        assert "422" not in operation["responses"]
    assert "429" in schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/auth/signup"]["post"]["responses"]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/api/auth/verify"]["get"]["security"] == [{"HTTPBearer": []}]


def test_logout_with_header_and_cookie_revokes_both_tokens(api: httpx.Client) -> None:
    """A browser tab holding the cookie of one login and a bearer token of another logs out: neither works on."""
    email = unique_email("both")
    header_token = token_of(signup(api, email))
    cookie_token = token_of(api.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
    assert cookie_token != header_token
    response = api.post(
        "/api/auth/logout", headers={**bearer(header_token), "Cookie": f"todo_auth={cookie_token}"}
    )
    assert response.status_code == 200
    assert api.get("/api/auth/verify", headers=bearer(header_token)).status_code == 401
    stolen_cookie = api.get("/api/auth/verify", headers={"Cookie": f"todo_auth={cookie_token}"})
    assert stolen_cookie.status_code == 401
    assert stolen_cookie.json()["code"] == "invalid_token"
