"""A production secret an attacker can guess is refused at start-up: every placeholder this repository shows
(found by scanning it, so a new doc example cannot slip through), in any case, and any of trivially low entropy.

The attack it stops: `env.sam-local.example.json` ships `ENVIRONMENT=production` with a placeholder secret; a
server started with it would accept a token the attacker signs with that text for any user id.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from devtools.paths import ROOT
from todo_shared.config.settings import PLACEHOLDER_SECRETS, SettingsError, load_settings

NEON_URL = "postgresql://alex:AbC123dEf@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
# A value shown for the secret: `BETTER_AUTH_SECRET=value`, `"BETTER_AUTH_SECRET": "value"`, `…SECRET: value`.
_SHOWN = re.compile(r"""BETTER_AUTH_SECRET["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9_.+/=-]{7,})""")
# Values that are not examples of a secret: shell and settings names.
_NOT_VALUES = re.compile(r"^(os|env|settings|TEST_|GUIDE_|AUTH_SECRET|\$)")


def _production(secret: str) -> dict[str, str]:
    return {"ENVIRONMENT": "production", "DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": secret}


def shown_secrets() -> set[str]:
    """Every literal value the repository's tracked files show for BETTER_AUTH_SECRET."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    found: set[str] = set()
    for name in tracked.stdout.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".lock"} or name.startswith("tests/"):
            continue  # the tests' own secrets are random or local-only
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        found.update(value for value in _SHOWN.findall(text) if not _NOT_VALUES.match(value))
    return found


def test_the_repository_shows_placeholders_and_every_one_is_refused() -> None:
    shown = shown_secrets()
    assert "replace-with-the-output-of-openssl-rand-base64-48" in shown  # the scan finds the example file's
    for value in shown:
        with pytest.raises(SettingsError):
            load_settings(_production(value))


@pytest.mark.parametrize("placeholder", sorted(PLACEHOLDER_SECRETS))
@pytest.mark.parametrize("spelling", [str, str.upper, str.title, lambda text: f"  {text} "])
def test_placeholders_are_refused_in_any_case(placeholder: str, spelling: object) -> None:
    assert callable(spelling)
    with pytest.raises(SettingsError, match="placeholder"):
        load_settings(_production(spelling(placeholder)))


@pytest.mark.parametrize("secret", ["a" * 32, "0" * 32, "password" * 4, "Password1" * 4, "abcdefghij" * 4])
def test_secrets_of_trivially_low_entropy_are_refused(secret: str) -> None:
    with pytest.raises(SettingsError, match="too easy to guess"):
        load_settings(_production(secret))


@pytest.mark.parametrize("secret", [secrets.token_urlsafe(32), secrets.token_hex(16), secrets.token_hex(32)])
def test_generated_secrets_pass(secret: str) -> None:
    assert load_settings(_production(secret)).better_auth_secret == secret


def test_local_development_still_takes_a_placeholder(tmp_path: Path) -> None:
    """The backend guide's set-up exports its example value; locally that must just work."""
    settings = load_settings(
        {"LOCAL_STATE_DIR": str(tmp_path), "BETTER_AUTH_SECRET": "your-secret-key-min-32-chars-here"}
    )
    assert settings.environment == "local"
