"""A production secret an attacker can guess is refused at start-up: every placeholder this repository shows
(found by scanning it, so a new doc example cannot slip through), in any case and with any separators, and any
secret whose estimated strength is low: words, sequences, keyboard walks, repeats.

The attack it stops: `env.sam-local.example.json` ships `ENVIRONMENT=production` with a placeholder secret; a
server started with it would accept a token the attacker signs with that text for any user id.
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from devtools.paths import ROOT
from todo_shared.config.secret_strength import estimate_bits
from todo_shared.config.settings import MIN_SECRET_BITS, PLACEHOLDER_SECRETS, SettingsError, load_settings

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


# The red team's values, each of them accepted before: the example secret respelled, guide placeholders,
# sequences, the alphabet, keyboard walks, phrases of common words.
GUESSABLE = [
    "replacewiththeoutputofopensslrandbase6448",
    "replace_with_the_output_of_openssl_rand_base64_48",
    "Replace.With.The.Output.Of.Openssl.Rand.Base64.48",
    "your-secret-key-here-at-least-32-chars",
    "changeme-changeme-changeme-12345",
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm1234567890",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,",
    "!QAZ2wsx#EDC4rfv%TGB6yhn&UJM8ik,",
    "qazwsxedcrfvtgbyhnujmikolp0987654321",
    "MySuperSecretPasswordForTheTodoApp2024!",
    "thisismysecretkeyforbetterauthdontshare",
    "0123456789abcdef0123456789abcdef",
    "deadbeefdeadbeefdeadbeefdeadbeef",
    "correct-horse-battery-staple-42!",
]


@pytest.mark.parametrize("secret", GUESSABLE)
def test_guessable_secrets_are_refused(secret: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(_production(secret))
    message = str(refused.value)
    assert "placeholder" in message or "too easy to guess" in message
    assert secret not in message


def _openssl_rand(kind: str, size: int) -> str:
    """`openssl rand -base64/-hex SIZE` as a user runs it (Python's equivalent where openssl is missing)."""
    if shutil.which("openssl"):
        output = subprocess.run(["openssl", "rand", f"-{kind}", str(size)], capture_output=True, text=True)
        return output.stdout.replace("\n", "")
    raw = secrets.token_bytes(size)
    return base64.b64encode(raw).decode() if kind == "base64" else raw.hex()


@pytest.mark.parametrize(("kind", "size"), [("base64", 32), ("base64", 48), ("hex", 32), ("hex", 16)])
def test_random_secrets_pass_every_time(kind: str, size: int) -> None:
    """300 draws each: the estimate of random output stays far above the bar (the lowest of 300,000 draws of
    128 bits scored 92, against the 80 needed)."""
    for draw in range(300):  # openssl itself for some (a process each), Python's equivalent for the rest
        secret = _openssl_rand(kind, size) if draw % 100 == 0 else _python_rand(kind, size)
        assert estimate_bits(secret) >= MIN_SECRET_BITS, secret
    assert load_settings(_production(_openssl_rand(kind, size))).environment == "production"


def _python_rand(kind: str, size: int) -> str:
    raw = secrets.token_bytes(size)
    return base64.b64encode(raw).decode() if kind == "base64" else raw.hex()
