"""Settings: defaults for local runs, refusal of unsafe values with one line naming the setting."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.paths import ROOT
from todo_shared.config.settings import SettingsError, load_settings

GOOD_SECRET = secrets.token_urlsafe(32)  # production refuses guessable ones
NEON_URL = (
    "postgresql://alex:AbC123dEf@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/dbname"
    "?sslmode=require&channel_binding=require"
)


def test_local_run_needs_no_settings(tmp_path: Path) -> None:
    settings = load_settings({"LOCAL_STATE_DIR": str(tmp_path)})
    assert settings.environment == "local"
    assert settings.database_url == f"sqlite:///{(tmp_path / 'todo.db').resolve()}"
    assert len(settings.better_auth_secret.encode()) >= 32
    assert settings.frontend_origins == ("http://localhost:3000",)
    assert settings.jwt_expires_minutes == 15


def test_local_dev_secret_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_settings({"LOCAL_STATE_DIR": str(tmp_path)}).better_auth_secret
    second = load_settings({"LOCAL_STATE_DIR": str(tmp_path)}).better_auth_secret
    assert first == second
    mode = stat.S_IMODE((tmp_path / "dev-secret").stat().st_mode)
    assert mode == 0o600


def test_local_state_directory_is_created_when_the_secret_is_given(tmp_path: Path) -> None:
    """The backend guide's set-up exports BETTER_AUTH_SECRET: the SQLite file still needs its folder."""
    state = tmp_path / "fresh-clone" / ".local"
    settings = load_settings({"LOCAL_STATE_DIR": str(state), "BETTER_AUTH_SECRET": "s" * 40})
    assert state.is_dir()
    assert settings.database_url == f"sqlite:///{(state / 'todo.db').resolve()}"
    assert not (state / "dev-secret").exists()


def test_unwritable_local_state_directory_is_one_line(tmp_path: Path) -> None:
    """As in a Lambda container started with ENVIRONMENT=local, whose code directory is read-only (here a
    file stands in the way: the tests run as root, whom permissions do not stop)."""
    blocker = tmp_path / "task"
    blocker.write_text("not a directory")
    for env in ({}, {"BETTER_AUTH_SECRET": "s" * 40}):
        with pytest.raises(SettingsError) as refused:
            load_settings({"LOCAL_STATE_DIR": str(blocker / ".local"), **env})
        assert str(refused.value).startswith("LOCAL_STATE_DIR ")
        assert "\n" not in str(refused.value)


def test_lambda_defaults_to_production_and_requires_database_url() -> None:
    with pytest.raises(SettingsError, match=r"^DATABASE_URL is required"):
        load_settings({"AWS_LAMBDA_FUNCTION_NAME": "tasks", "BETTER_AUTH_SECRET": GOOD_SECRET})


def test_production_requires_the_secret() -> None:
    with pytest.raises(SettingsError, match=r"^BETTER_AUTH_SECRET is required"):
        load_settings({"ENVIRONMENT": "production", "DATABASE_URL": NEON_URL})


@pytest.mark.parametrize("environment", ["local", "production"])
def test_short_secret_is_refused_everywhere(environment: str, tmp_path: Path) -> None:
    env = {"ENVIRONMENT": environment, "DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": "too-short"}
    with pytest.raises(SettingsError, match=r"^BETTER_AUTH_SECRET must be at least 32 bytes, got 9$"):
        load_settings(env)


def test_placeholder_secret_is_refused_outside_local_dev(tmp_path: Path) -> None:
    placeholder = "your-secret-key-min-32-chars-here"
    env = {"DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": placeholder, "LOCAL_STATE_DIR": str(tmp_path)}
    assert load_settings({**env, "ENVIRONMENT": "local"}).better_auth_secret == placeholder
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings({**env, "ENVIRONMENT": "production"})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a URL"),
        ("mysql://user:pw@host/db", "unsupported scheme 'mysql'"),
        ("postgresql://user:pw@host/db?sslmode=bogus", "unsupported sslmode 'bogus'"),
        ("postgresql://user:pw@host/db?options=-c%20statement_timeout%3D5", "unsupported query parameter"),
        ("postgresql://user:pw@/db", "needs a host"),
        ("sqlite://", "needs a file path"),
    ],
)
def test_unusable_database_url_is_named(url: str, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"ENVIRONMENT": "production", "DATABASE_URL": url, "BETTER_AUTH_SECRET": GOOD_SECRET})
    assert str(caught.value).startswith("DATABASE_URL: ")
    assert message in str(caught.value)
    assert "pw" not in str(caught.value)


def test_frontend_origins_are_parsed_and_localhost_is_allowed_in_dev(tmp_path: Path) -> None:
    settings = load_settings(
        {"LOCAL_STATE_DIR": str(tmp_path), "FRONTEND_URL": "https://todo.vercel.app/, https://b.example.com"}
    )
    assert settings.frontend_origins == (
        "https://todo.vercel.app",
        "https://b.example.com",
        "http://localhost:3000",
    )


def test_production_trusts_no_origin_unless_named(tmp_path: Path) -> None:
    env = {"ENVIRONMENT": "production", "DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": GOOD_SECRET}
    assert load_settings(env).frontend_origins == ()
    named = load_settings({**env, "FRONTEND_URL": "http://localhost:3000"})
    assert named.frontend_origins == ("http://localhost:3000",)


def test_frontend_origin_with_a_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^FRONTEND_URL must be an origin"):
        load_settings({"LOCAL_STATE_DIR": str(tmp_path), "FRONTEND_URL": "https://todo.vercel.app/app"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("JWT_EXPIRES_MINUTES", "abc", "JWT_EXPIRES_MINUTES must be a whole number"),
        ("JWT_EXPIRES_MINUTES", "0", "JWT_EXPIRES_MINUTES must be between 1 and 43200"),
        ("DATABASE_TIMEOUT_SECONDS", "-1", "DATABASE_TIMEOUT_SECONDS must be between"),
        ("REQUEST_DEADLINE_SECONDS", "0", "REQUEST_DEADLINE_SECONDS must be between 0.5 and 900"),
        ("ENVIRONMENT", "staging", "ENVIRONMENT must be 'local' or 'production'"),
        ("USER_PATH_TASK_LIST", "tasks", "USER_PATH_TASK_LIST must be 'array' or 'object', got 'tasks'"),
    ],
)
def test_malformed_numbers_and_names_are_refused(name: str, value: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"LOCAL_STATE_DIR": str(tmp_path), name: value})


@pytest.mark.parametrize(
    ("value", "shape"), [(None, "array"), ("", "array"), ("array", "array"), (" Object ", "object")]
)
def test_the_spec_paths_list_shape_is_a_setting(value: str | None, shape: str, tmp_path: Path) -> None:
    env = {"LOCAL_STATE_DIR": str(tmp_path)} | ({} if value is None else {"USER_PATH_TASK_LIST": value})
    assert load_settings(env).user_path_task_list == shape


def test_weak_bcrypt_cost_is_refused_in_production() -> None:
    env = {"ENVIRONMENT": "production", "DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": GOOD_SECRET}
    assert load_settings({**env, "BCRYPT_ROUNDS": "10"}).bcrypt_rounds == 10
    with pytest.raises(SettingsError, match=r"^BCRYPT_ROUNDS must be at least 10"):
        load_settings({**env, "BCRYPT_ROUNDS": "4"})


def test_secrets_are_not_in_the_settings_repr() -> None:
    settings = load_settings(
        {
            "ENVIRONMENT": "production",
            "DATABASE_URL": NEON_URL,
            "BETTER_AUTH_SECRET": f"s3cr3t-{secrets.token_hex(16)}",
        }
    )
    assert "AbC123dEf" not in repr(settings)
    assert "s3cr3t" not in repr(settings)


def _run_server(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "BETTER_AUTH_SECRET")
    }
    env.update({"LOCAL_STATE_DIR": str(tmp_path), "ENV_FILE": str(tmp_path / "none.env"), **env_overrides})
    return subprocess.run(
        [sys.executable, "-m", "devtools.serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"BETTER_AUTH_SECRET": "short"}, "error: BETTER_AUTH_SECRET must be at least 32 bytes, got 5"),
        ({"DATABASE_URL": "postgres//nope"}, "error: DATABASE_URL: not a URL"),
        (
            {"USER_PATH_TASK_LIST": "bare"},
            "error: USER_PATH_TASK_LIST must be 'array' or 'object', got 'bare'",
        ),
        # A typo used to be ignored without a word, and the generated development secret used instead.
        (
            {"BETTER_AUTH_SECRETS": "kT3vQ9mX2pL7wR4zB8nH6jF1cY5dG0sA"},
            "error: BETTER_AUTH_SECRETS is not a setting of this API (did you mean BETTER_AUTH_SECRET?)",
        ),
    ],
)
def test_server_start_refuses_bad_settings_with_one_line(
    overrides: dict[str, str], line: str, tmp_path: Path
) -> None:
    result = _run_server(overrides, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(line)


# --- Names that look like settings but are not ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("BETTER_AUTH_SECRETS", "BETTER_AUTH_SECRET"),  # a typo: the generated secret would be used instead
        ("HS256_MAX_LIFETIME_MINUTES", "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES"),  # removed, renamed
        ("JWT_SECRET", "BETTER_AUTH_SECRET"),  # other guides' name
        ("JWT_EXPIRE_MINUTES", "JWT_EXPIRES_MINUTES"),
        ("DATABASE_TIMEOUT", "DATABASE_TIMEOUT_SECONDS"),
        ("SESSION_IDLE_DAY", "SESSION_IDLE_DAYS"),
        ("BCRYPT_ROUND", "BCRYPT_ROUNDS"),
        ("FRONTEND_URLS", "FRONTEND_URL"),
        ("database_url", "DATABASE_URL"),  # settings are upper case
    ],
)
def test_a_name_that_looks_like_a_setting_stops_start_up(name: str, meant: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"LOCAL_STATE_DIR": str(tmp_path), name: "1"})
    message = str(refused.value)
    assert message.startswith(f"{name} is not a setting")
    assert f"(did you mean {meant}?)" in message
    assert "\n" not in message


def test_names_of_the_tools_beside_the_api_are_left_alone(tmp_path: Path) -> None:
    """Better Auth's own variables and Neon's Vercel integration's may share an environment with ours."""
    env = {
        "LOCAL_STATE_DIR": str(tmp_path),
        "BETTER_AUTH_TELEMETRY": "0",
        "BETTER_AUTH_TRUSTED_ORIGINS": "http://localhost:3000",
        "DATABASE_URL_UNPOOLED": NEON_URL,
    }
    assert load_settings(env).environment == "local"


# --- BETTER_AUTH_URL and the origins -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.example.com@evil.example",  # the keys would come from evil.example
        "https://user:pw@auth.example.com",
        "https://auth.example.com/api/auth",
        "https://auth.example.com?next=x",
        "https://auth.example.com?",
        "https://auth.example.com#top",
        "https://auth.example.com:https",
        "https://auth example.com",
    ],
)
@pytest.mark.parametrize("environment", ["local", "production"])
def test_better_auth_url_is_an_origin_and_nothing_else(url: str, environment: str, tmp_path: Path) -> None:
    env = {"ENVIRONMENT": environment, "LOCAL_STATE_DIR": str(tmp_path), "DATABASE_URL": NEON_URL}
    env |= {"BETTER_AUTH_SECRET": GOOD_SECRET, "BETTER_AUTH_URL": url}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    assert (
        str(refused.value)
        == f"BETTER_AUTH_URL must be an origin such as https://app.example.com, got {url!r}"
    )


# --- A password with characters a URL reserves ---------------------------------------------------------------


@pytest.mark.parametrize("password", ["zq@xv-93", "zq/xv-93", "zq%xv-93", "zq:xv-93", "zq@x/v%w:y"])
def test_a_password_holding_a_reserved_character_is_named_without_any_part_of_it(
    password: str, tmp_path: Path
) -> None:
    url = f"postgresql://alex:{password}@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
    with pytest.raises(SettingsError) as refused:
        load_settings({"LOCAL_STATE_DIR": str(tmp_path), "DATABASE_URL": url})
    message = str(refused.value)
    assert message.startswith(
        "DATABASE_URL: the user name or password holds a character that must be percent"
    )
    for part in ("zq", "xv", "93"):
        assert part not in message


def test_the_same_password_percent_encoded_is_taken(tmp_path: Path) -> None:
    url = "postgresql://alex:p%40ss%2Fw%25r%3Ad@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
    assert load_settings({"LOCAL_STATE_DIR": str(tmp_path), "DATABASE_URL": url}).database_url == url


def test_a_typo_in_the_dotenv_file_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    """With a byte order mark and CRLF line ends, as an editor on Windows saves it."""
    env_file = tmp_path / ".env"
    env_file.write_bytes(b"\xef\xbb\xbfBETTER_AUTH_SECRETS=kT3vQ9mX2pL7wR4zB8nH6jF1cY5dG0sA\r\n")
    result = _run_server({"ENV_FILE": str(env_file)}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {env_file}: BETTER_AUTH_SECRETS is not a setting of this API (did you mean BETTER_AUTH_SECRET?); "
        "it would be ignored"
    ]
    assert not (tmp_path / "dev-secret").exists()
