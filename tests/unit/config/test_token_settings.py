"""Settings of token verification: BETTER_AUTH_URL is https outside local development; the cap on token
lifetimes has a 7-day default and refuses values that would refuse the API's own tokens; a frontend's issuer and
audience can be pinned.

The attack: with `BETTER_AUTH_URL=http://…` in production, anyone on the network path between the function
and Better Auth answers the JWKS fetch with their own key, and every token they sign with it is accepted.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.paths import EVENTS_DIR, ROOT
from todo_shared.config.settings import SettingsError, load_settings

GOOD_SECRET = secrets.token_urlsafe(32)
NEON_URL = "postgresql://alex:AbC123dEf@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
PRODUCTION = {"ENVIRONMENT": "production", "DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": GOOD_SECRET}
HTTP_REFUSED = "BETTER_AUTH_URL must use https outside local development, got 'http://auth.example.com'"


# --- BETTER_AUTH_URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://auth.example.com", "http://localhost:3000", "http://127.0.0.1:3000"])
def test_production_refuses_a_plain_http_better_auth_url(url: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({**PRODUCTION, "BETTER_AUTH_URL": url})
    assert str(refused.value) == f"BETTER_AUTH_URL must use https outside local development, got {url!r}"


@pytest.mark.parametrize(
    "url", ["https://auth.example.com", "https://auth.example.com/", "HTTPS://auth.example.com"]
)
def test_production_takes_an_https_better_auth_url(url: str) -> None:
    assert load_settings({**PRODUCTION, "BETTER_AUTH_URL": url}).better_auth_url == url.rstrip("/")


def test_local_development_takes_http_for_a_local_better_auth(tmp_path: Path) -> None:
    settings = load_settings({"LOCAL_STATE_DIR": str(tmp_path), "BETTER_AUTH_URL": "http://localhost:3000"})
    assert settings.better_auth_url == "http://localhost:3000"


def _run(
    module: list[str], env_overrides: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "BETTER_AUTH"))
    }
    env.update(
        {"LOCAL_STATE_DIR": str(tmp_path), "ENV_FILE": str(tmp_path / "none.env"), "BCRYPT_ROUNDS": "12"}
    )
    env.update(env_overrides)  # (the tests' bcrypt cost, 4, is refused in production: 12 here)
    return subprocess.run(
        [sys.executable, "-m", *module], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_local_server_refuses_to_start_with_an_http_better_auth_url_in_production(tmp_path: Path) -> None:
    result = _run(["devtools.serve"], {**PRODUCTION, "BETTER_AUTH_URL": "http://auth.example.com"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {HTTP_REFUSED}"]


def test_a_lambda_function_answers_503_with_one_log_line_for_an_http_better_auth_url(tmp_path: Path) -> None:
    """The auth function's handler, as Lambda runs it: settings resolve on the first request."""
    overrides = {
        **PRODUCTION,
        "BETTER_AUTH_URL": "http://auth.example.com",
        "AWS_LAMBDA_FUNCTION_NAME": "auth",
    }
    result = _run(
        ["devtools.invoke", "AuthFunction", "-e", str(EVENTS_DIR / "auth-verify.json")], overrides, tmp_path
    )
    answer = json.loads(result.stdout)
    assert (answer["statusCode"], json.loads(answer["body"])["code"]) == (503, "service_misconfigured")
    errors = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [record for record in errors if record.get("level") == "ERROR"]
    assert [record["message"] for record in errors] == [f"configuration error: {HTTP_REFUSED}"]
    assert "Traceback" not in result.stderr
    assert GOOD_SECRET not in result.stderr + result.stdout


# --- FRONTEND_TOKEN_MAX_LIFETIME_MINUTES, FRONTEND_JWT_ISSUER, FRONTEND_JWT_AUDIENCE ---------------------------


def test_the_default_cap_is_seven_days(tmp_path: Path) -> None:
    local = {"LOCAL_STATE_DIR": str(tmp_path)}
    assert load_settings(local).frontend_token_max_lifetime_minutes == 7 * 24 * 60
    assert (
        load_settings({**local, "JWT_EXPIRES_MINUTES": "10080"}).frontend_token_max_lifetime_minutes == 10080
    )


def test_the_cap_can_be_set(tmp_path: Path) -> None:
    env = {"LOCAL_STATE_DIR": str(tmp_path), "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES": "60"}
    assert load_settings(env).frontend_token_max_lifetime_minutes == 60


def test_issuer_and_audience_are_unpinned_by_default_and_can_be_pinned(tmp_path: Path) -> None:
    local = {"LOCAL_STATE_DIR": str(tmp_path)}
    unpinned = load_settings(local)
    assert (unpinned.frontend_jwt_issuer, unpinned.frontend_jwt_audience) == (None, None)
    pinned = load_settings(
        {**local, "FRONTEND_JWT_ISSUER": " nextjs-frontend ", "FRONTEND_JWT_AUDIENCE": "fastapi-backend"}
    )
    assert (pinned.frontend_jwt_issuer, pinned.frontend_jwt_audience) == (
        "nextjs-frontend",
        "fastapi-backend",
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"JWT_EXPIRES_MINUTES": "20160"},
            "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be at least JWT_EXPIRES_MINUTES (20160), got 10080: "
            "the cap bounds our own tokens too, and the API would refuse them",
        ),
        (
            {"FRONTEND_TOKEN_MAX_LIFETIME_MINUTES": "a week"},
            "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be a whole number, got 'a week'",
        ),
        (
            {"FRONTEND_TOKEN_MAX_LIFETIME_MINUTES": "0"},
            "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be between 1 and 43200, got 0",
        ),
        (
            {"FRONTEND_TOKEN_MAX_LIFETIME_MINUTES": "525600"},
            "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be between 1 and 43200, got 525600",
        ),
        (
            {"FRONTEND_JWT_ISSUER": "todo-api"},
            "FRONTEND_JWT_ISSUER must not be 'todo-api': that issuer names the tokens this API issues",
        ),
        (
            {"FRONTEND_JWT_AUDIENCE": "caf\u00e9"},
            "FRONTEND_JWT_AUDIENCE must be at most 255 printable ASCII characters, got 'caf\u00e9'",
        ),
    ],
    ids=["below-our-lifetime", "not-a-number", "zero", "a-year", "our-issuer", "not-ascii"],
)
def test_a_misconfigured_token_setting_is_one_line(
    values: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"LOCAL_STATE_DIR": str(tmp_path), **values})
    assert str(refused.value) == message
