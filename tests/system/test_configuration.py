"""Configuration as a user meets it through `make run`'s server: a `.env` written the usual ways means what it
says, a name that is not a setting stops the start with one line (tests/unit/config/test_settings.py), and the first lines say which secret (where
from, a fingerprint) and which database are used, never the secret or the database password.

The attack of chance: `BETTER_AUTH_SECRET=<secret> # from 1password` in `.env` made the server sign with the
whole rest of the line, so a frontend holding the real secret got a 401 on every request, and nothing said why.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx
import jwt
import pytest

from devtools.net import running_server
from devtools.paths import ROOT

SECRET = "kT3vQ9mX2pL7wR4zB8nH6jF1cY5dG0sA-local"


def clean_environment(tmp_path: Path, env_file: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "BETTER_AUTH", "ENVIRONMENT"))
    }
    return env | {"LOCAL_STATE_DIR": str(tmp_path / "state"), "ENV_FILE": str(env_file)}


def frontend_token(secret: str) -> str:
    """What a frontend's server mints with the shared secret (jose's SignJWT, 7 days)."""
    now = int(time.time())
    return jwt.encode(
        {"sub": "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY", "iat": now, "exp": now + 3600}, secret, "HS256"
    )


@pytest.mark.parametrize(
    "line",
    [
        f"BETTER_AUTH_SECRET={SECRET} # from 1password",
        f'\ufeffBETTER_AUTH_SECRET="{SECRET}"\r',
        f"export BETTER_AUTH_SECRET='{SECRET}'",
    ],
)
def test_a_secret_in_dotenv_is_the_one_the_frontend_holds(line: str, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"{line}\n", encoding="utf-8")
    log = tmp_path / "server.log"
    with running_server("devtools.serve", clean_environment(tmp_path, env_file), log=log) as base:
        answer = httpx.get(f"{base}/api/tasks", headers={"Authorization": f"Bearer {frontend_token(SECRET)}"})
    assert answer.status_code == 200, answer.text
    fingerprint = hashlib.sha256(SECRET.encode()).hexdigest()[:8]
    said = log.read_text()
    assert f"  BETTER_AUTH_SECRET from {env_file} (fingerprint {fingerprint})\n" in said
    assert SECRET not in said


def test_the_first_lines_say_which_secret_and_which_database(tmp_path: Path) -> None:
    """The generated secret, and a database URL with its password masked."""
    env = clean_environment(tmp_path, tmp_path / "none.env")
    log = tmp_path / "server.log"
    with running_server("devtools.serve", env, log=log):
        pass
    said = log.read_text()
    secret = (tmp_path / "state" / "dev-secret").read_text().strip()
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:8]
    assert (
        f"  BETTER_AUTH_SECRET generated into {tmp_path / 'state'}/dev-secret (fingerprint {fingerprint})"
        in said
    )
    assert f"  DATABASE_URL sqlite:///{(tmp_path / 'state' / 'todo.db').resolve()}\n" in said
    assert secret not in said


def test_make_dev_serves_and_watches_the_code(tmp_path: Path) -> None:
    """`make dev`: the same server under uvicorn's reloader (which restarts it when a watched file changes)."""
    env = clean_environment(tmp_path, tmp_path / "none.env")
    log = tmp_path / "server.log"
    with running_server("devtools.serve", env, args=["--reload"], log=log) as base:
        assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    said = log.read_text()
    assert "Will watch for changes in these directories" in said
    assert str(ROOT / "shared") in said
    assert "Traceback" not in said
