"""A local run's .env, read by python-dotenv's rules (through pydantic-settings' dotenv source), the environment
winning; a name in it that looks like a setting but is not one stops start-up, naming the file.

The attack of chance: `BETTER_AUTH_SECRET=<secret> # from 1password` used to make the secret the whole rest of the
line, comment included, and a UTF-8 byte order mark made the first name another name, silently ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devtools.env_file import load_env_file
from todo_shared.config.settings import SettingsError, load_settings

SECRET = "kT3vQ9mX2pL7wR4zB8nH6jF1cY5dG0sA"


def loaded(tmp_path: Path, content: bytes, **environ: str) -> dict[str, str]:
    path = tmp_path / ".env"
    path.write_bytes(content)
    env = {"ENV_FILE": str(path), **environ}
    load_env_file(env)
    return env


@pytest.mark.parametrize(
    "line",
    [
        f"BETTER_AUTH_SECRET={SECRET} # from 1password",
        f'BETTER_AUTH_SECRET="{SECRET}" # from 1password',
        f"BETTER_AUTH_SECRET='{SECRET}'",
        f"export BETTER_AUTH_SECRET={SECRET}",
        f"  BETTER_AUTH_SECRET = {SECRET}  ",
    ],
)
def test_comments_quotes_and_export_are_not_part_of_the_value(line: str, tmp_path: Path) -> None:
    assert loaded(tmp_path, f"# the API\n{line}\n".encode())["BETTER_AUTH_SECRET"] == SECRET


def test_a_byte_order_mark_and_crlf_line_ends_change_nothing(tmp_path: Path) -> None:
    env = loaded(tmp_path, f"\ufeffBETTER_AUTH_SECRET={SECRET}\r\nJWT_EXPIRES_MINUTES=20\r\n".encode())
    assert (env["BETTER_AUTH_SECRET"], env["JWT_EXPIRES_MINUTES"]) == (SECRET, "20")
    settings = load_settings({**env, "LOCAL_STATE_DIR": str(tmp_path)})
    assert (settings.better_auth_secret, settings.jwt_expires_minutes, settings.key_source) == (
        SECRET,
        20,
        "environment",
    )


def test_the_environment_wins_and_an_empty_value_is_unset(tmp_path: Path) -> None:
    env = loaded(tmp_path, b"JWT_EXPIRES_MINUTES=20\nBCRYPT_ROUNDS=\n", JWT_EXPIRES_MINUTES="30")
    assert env["JWT_EXPIRES_MINUTES"] == "30"
    assert "BCRYPT_ROUNDS" not in env


def test_a_name_in_the_file_that_looks_like_a_setting_is_named_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        loaded(tmp_path, f"\ufeffBETTER_AUTH_SECRETS={SECRET}\n".encode())
    assert str(refused.value) == (
        f"{tmp_path / '.env'}: BETTER_AUTH_SECRETS is not a setting of this API "
        "(did you mean BETTER_AUTH_SECRET?); it would be ignored"
    )


@pytest.mark.parametrize("where", [{"AWS_LAMBDA_FUNCTION_NAME": "tasks"}, {"ENVIRONMENT": "production"}])
def test_no_file_is_read_inside_lambda_or_in_production(where: dict[str, str], tmp_path: Path) -> None:
    assert "BETTER_AUTH_SECRET" not in loaded(tmp_path, f"BETTER_AUTH_SECRET={SECRET}\n".encode(), **where)


def test_the_example_file_holds_every_default_and_no_secret(tmp_path: Path) -> None:
    """`.env.example` copied as it is changes nothing; with every line uncommented, it gives the defaults."""
    from devtools.settings_doc import ENV_EXAMPLE

    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert loaded(tmp_path, example.encode()) == {"ENV_FILE": str(tmp_path / ".env")}
    uncommented = re.sub(r"^# ([A-Z_]+=)", r"\1", example, flags=re.MULTILINE)
    env = loaded(tmp_path, uncommented.encode(), LOCAL_STATE_DIR=str(tmp_path / "state"))
    assert "BETTER_AUTH_SECRET" not in env  # no value given: nothing to copy by mistake
    defaults = load_settings({"LOCAL_STATE_DIR": str(tmp_path / "state")})
    assert load_settings(env).model_dump(exclude={"env_file"}) == defaults.model_dump(exclude={"env_file"})
