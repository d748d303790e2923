"""Auth failures are logged with a reason and the request id, never a token, a password or a full email."""

from __future__ import annotations

import httpx
import pytest

from tests.support.auth import bearer, signup, token_of, unique_email
from tests.support.logs import capture_logs
from todo_shared.auth import throttle as login_throttle

pytestmark = pytest.mark.usefixtures("fresh_login_throttle")


def test_auth_logs_carry_reasons_but_no_secrets(api: httpx.Client) -> None:
    email = unique_email("secretive")
    stranger = unique_email("stranger")
    password = "correct-horse-battery-1"
    wrong = ["wrong-horse-battery-2", "x" * 80, "unknown-guess-3"]
    with capture_logs() as logs:
        token = token_of(signup(api, email, password=password))
        assert signup(api, email.upper(), password=password).status_code == 409
        assert api.post("/api/auth/login", json={"email": email, "password": wrong[0]}).status_code == 401
        assert api.post("/api/auth/login", json={"email": email, "password": wrong[1]}).status_code == 401
        assert api.post("/api/auth/login", json={"email": stranger, "password": wrong[2]}).status_code == 401
        for _ in range(login_throttle.PAIR_LIMIT):
            api.post("/api/auth/login", json={"email": email, "password": wrong[0]})
        assert api.post("/api/auth/login", json={"email": email, "password": password}).status_code == 429
        assert (
            api.get("/api/auth/verify", headers=bearer("garbage." + token.split(".")[1] + ".sig")).status_code
            == 401
        )
        assert api.post("/api/auth/logout", headers=bearer(token)).status_code == 200
        assert api.get("/api/auth/verify", headers=bearer(token)).status_code == 401
        assert api.get("/api/auth/verify", headers={"Cookie": f"todo_auth={token}"}).status_code == 401

    text = logs.text
    _header, payload, signature = token.split(".")
    for secret in [password, *wrong, token, payload, signature, email, stranger, email.split("@")[0]]:
        assert secret not in text, f"{secret[:12]}… appears in the logs"
    assert email.upper() not in text

    reasons = [record.get("reason") for record in logs.records]
    for reason in (
        "email_taken",
        "wrong_password",
        "unknown_email",
        "too_many_failures",
        "malformed",
        "revoked",
    ):
        assert reason in reasons, reasons
    for record in logs.records:
        if record.get("reason"):
            assert record.get("request_id"), record
    failures = [
        record for record in logs.records if record.get("reason") in ("wrong_password", "unknown_email")
    ]
    assert {record["email"] for record in failures} == {"s***@example.com"}
