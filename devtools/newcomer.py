"""What a newcomer does, checked: a fresh clone, the README's `make run`, then its curl walk-throughs.

    python -m devtools.newcomer                 # every set-up, from a clone of the committed HEAD
    python -m devtools.newcomer --setup guide   # one of them

Set-ups: ``plain`` (no settings at all), ``guide`` (``BETTER_AUTH_SECRET`` exported, as the original backend
guide tells users to), ``postgres`` (a fresh PostgreSQL database in ``DATABASE_URL``, migrated first with
`make migrate` as the README says), ``nextjs`` (below). For the first three: clone, run `make run` exactly as the
README writes it (only ``PORT`` is set, to a free port, and each block's ``API=`` line follows it), wait for it
to answer, run each README block marked ``<!-- newcomer-check: NAME -->`` (the walk-through, then connecting a
frontend; not the ``nextjs`` one) in bash, twice in a row (the README says they can be run again as they are),
and compare the status of every curl with the one the README writes in that command's comment. The server's
output must hold no traceback and no database password, and the clone must stay clean (what the walk-through
writes is git-ignored). If the README and this check disagree, the check fails.

``nextjs``: the README's two commands after its nextjs mark, each in its own process as in two terminals (the API
on a free ``PORT``, the example on a free ``EXAMPLE_PORT`` with ``NEXT_PUBLIC_API_URL`` naming the API, and the
block's ``localhost:3000`` following it). Once both answer, a user signs up through the example's Better Auth,
takes the token the example's page would take (``/api/auth/token``) and lists their tasks on the API's spec path:
200. Neither server may print a traceback, and the clone stays clean (node_modules, the build, the generated
types and Better Auth's SQLite file are git-ignored). The clone's `npm ci` uses this machine's npm cache and
better-sqlite3's addon compiled before on it (scripts/ensure-nextjs-example), as any clone here would.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from devtools.net import free_port
from devtools.paths import ROOT

WALKTHROUGH_MARK = "<!-- newcomer-check: walk-through -->"
_MARK = re.compile(r"<!-- newcomer-check: ([a-z-]+) -->")
NEXTJS = "nextjs"  # the mark of the Next.js example's block, run by its own set-up
EXAMPLE_ORIGIN = "http://localhost:3000"  # as the README writes it; the check's own port replaces it
# The original backend guide's set-up: its .env example, exported.
GUIDE_SECRET = "your-secret-key-min-32-chars-here"  # noqa: S105 (a documented placeholder, local only)
START_TIMEOUT_SECONDS = 600.0  # the first `make run` installs what serving needs
SETTINGS = ("DATABASE_URL", "BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "FRONTEND_URL", "ENVIRONMENT", "PORT")
EXAMPLE_SETTINGS = (
    "EXAMPLE_PORT",
    "EXAMPLE_DATABASE_URL",
    "NEXT_PUBLIC_API_URL",
    "TOKEN_MODE",
    "OPENAPI_DOCUMENT",
)
# Without --setup, all of them (``nextjs`` needs Node.js 20.9+).
DEFAULT_SETUPS = ("plain", "guide", "postgres", "nextjs")
# The checked blocks run this many times in a row against one server: a second run meets the first one's data.
WALKS = 2
_STATUS = re.compile(r"#.*?\b([1-5][0-9]{2})\b")


class NewcomerCheckError(Exception):
    pass


@dataclass(frozen=True)
class Command:
    text: str
    expected: int


def checked_blocks(readme: Path) -> dict[str, str]:
    """The bash block that follows each ``newcomer-check`` mark in ``readme``, by the mark's name, in order.
    The walk-through must be among them."""
    text = readme.read_text(encoding="utf-8")
    blocks: dict[str, str] = {}
    for mark in _MARK.finditer(text):
        match = re.match(r"\s*```bash\n(.*?)```", text[mark.end() :], flags=re.DOTALL)
        if match is None:
            raise NewcomerCheckError(f"README.md has no ```bash block right after {mark.group(0)}")
        blocks[mark.group(1)] = match.group(1)
    if "walk-through" not in blocks:
        raise NewcomerCheckError(f"README.md has no {WALKTHROUGH_MARK}")
    return blocks


def curl_commands(block: str) -> list[Command]:
    """Every command of the block that runs curl, with the status its comment promises (on its last line)."""
    commands: list[Command] = []
    lines: list[str] = []
    for line in block.splitlines():
        lines.append(line)
        if line.rstrip().endswith("\\"):
            continue
        code = "\n".join(part.split("#", 1)[0] for part in lines)
        if re.search(r"\bcurl\b", code):
            found = _STATUS.search(lines[-1])
            if found is None:
                raise NewcomerCheckError(
                    "a walk-through command has no expected status in its comment:\n" + "\n".join(lines)
                )
            commands.append(Command("\n".join(lines).strip(), int(found.group(1))))
        lines = []
    if not commands:
        raise NewcomerCheckError("the walk-through runs no curl command")
    return commands


def fresh_clone(directory: Path) -> Path:
    clone = directory / "todo-api"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    return clone


def run(
    command: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_until_up(
    base: str, server: subprocess.Popen[str], log: Path, *, path: str = "/health", what: str = "`make run`"
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise NewcomerCheckError(f"{what} exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}{path}", timeout=2):  # noqa: S310 (loopback)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise NewcomerCheckError(f"{what} did not answer within {START_TIMEOUT_SECONDS:.0f} s")


def start(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """``command`` in its own process group (as in a terminal of its own), its output into ``log``."""
    with log.open("w") as output:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def stop(server: subprocess.Popen[str]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)  # as Ctrl-C would
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def walk(clone: Path, base: str, env: dict[str, str], *, label: str = "") -> list[str]:
    """Run each checked block in the clone; return a line per curl command (problems start with FAIL)."""
    lines = []
    for name, block in checked_blocks(clone / "README.md").items():
        if name == NEXTJS:  # two servers, not curl: the nextjs set-up runs it
            continue
        lines += _walk_block(clone, base, env, f"{name}{label}", block)
    return lines


def _walk_block(clone: Path, base: str, env: dict[str, str], name: str, block: str) -> list[str]:
    commands = curl_commands(block)
    script = re.sub(r"^API=\S+", f"API={base}", block, count=1, flags=re.MULTILINE)
    statuses = clone / ".newcomer-statuses"
    headers = clone / ".newcomer-headers"
    recorder = (
        "set -euo pipefail\n"
        'curl() { command curl -D "$NEWCOMER_HEADERS" "$@"; local rc=$?;'
        ' head -n 1 "$NEWCOMER_HEADERS" | cut -d\' \' -f2 >> "$NEWCOMER_STATUSES"; return $rc; }\n'
    )
    completed = run(
        ["bash", "-c", recorder + script],
        clone,
        {**env, "NEWCOMER_STATUSES": str(statuses), "NEWCOMER_HEADERS": str(headers)},
        timeout=120,
    )
    seen = statuses.read_text().split() if statuses.exists() else []
    statuses.unlink(missing_ok=True)
    headers.unlink(missing_ok=True)
    lines = []
    for index, command in enumerate(commands):
        got = seen[index] if index < len(seen) else "none"
        ok = got == str(command.expected)
        first = command.text.splitlines()[0][:100]
        lines.append(f"{'ok  ' if ok else 'FAIL'} {got} (README: {command.expected})  [{name}] {first}")
    if len(seen) != len(commands):
        lines.append(f"FAIL [{name}] {len(seen)} curl calls ran, the README has {len(commands)}")
    if completed.returncode != 0:
        lines.append(
            f"FAIL [{name}] the block exited with {completed.returncode}: {completed.stderr[-1500:]}"
        )
    return lines


def check(setup: str, database_url: str | None) -> list[str]:
    clean = {
        key: value for key, value in os.environ.items() if key not in SETTINGS and not key.startswith("TODO_")
    }
    clean["PORT"] = str(free_port())
    if setup == "guide":
        clean["BETTER_AUTH_SECRET"] = GUIDE_SECRET
    if database_url is not None:
        clean["DATABASE_URL"] = database_url
    base = f"http://127.0.0.1:{clean['PORT']}"
    lines = []
    with tempfile.TemporaryDirectory(prefix=f"newcomer-{setup}-") as directory:
        clone = fresh_clone(Path(directory))
        if database_url is not None:  # the README: migrate a PostgreSQL database before serving it
            migrated = run(["make", "migrate"], clone, clean, timeout=600)
            said = (migrated.stdout + migrated.stderr).strip()
            if migrated.returncode != 0:
                return [f"FAIL `make migrate` exited with {migrated.returncode}: {said[-2000:]}"]
            lines.append(f"ok   `make migrate`: {said.splitlines()[-1]}")
        log = Path(directory) / "make-run.log"
        started = time.monotonic()
        server = start(["make", "run"], clone, clean, log)
        try:
            wait_until_up(base, server, log)
            lines.append(f"ok   `make run` answered after {time.monotonic() - started:.0f} s")
            for number in range(1, WALKS + 1):
                lines += walk(clone, base, clean, label=f", run {number}")
        finally:
            stop(server)
        served = log.read_text()
        if "Traceback" in served:
            lines.append(f"FAIL `make run` printed a traceback:\n{served[-3000:]}")
        password = urlsplit(database_url).password if database_url is not None else None
        if password and password in served:
            lines.append("FAIL `make run` printed the database URL's password")
        dirty = run(["git", "status", "--porcelain"], clone, clean, timeout=30).stdout.strip()
        if dirty:
            lines.append(f"FAIL the walk-through left files git does not ignore: {dirty}")
    return lines


def _status_and_body(
    url: str, headers: dict[str, str], data: bytes | None = None
) -> tuple[int, bytes, list[str]]:
    """Status, body and ``Set-Cookie`` values of one loopback request (an HTTP error is an answer too)."""
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.read(), answer.headers.get_all("Set-Cookie") or []
    except urllib.error.HTTPError as error:
        return error.code, error.read(), []


def example_probe(frontend: str, api: str) -> list[str]:
    """A user signs up through the example's Better Auth and lists their tasks with the page's token."""
    email = f"newcomer-{time.time_ns()}@example.com"
    signup = {"email": email, "password": "violet-kettle-42", "name": "Newcomer"}
    status, body, cookies = _status_and_body(
        f"{frontend}/api/auth/sign-up/email",
        {"Content-Type": "application/json", "Origin": frontend},
        json.dumps(signup).encode(),
    )
    if status != 200:
        return [f"FAIL sign-up through the example: {status} {body[:300]!r}"]
    session = "; ".join(cookie.split(";", 1)[0] for cookie in cookies)
    status, body, _ = _status_and_body(f"{frontend}/api/auth/token", {"Cookie": session})
    if status != 200:
        return [f"FAIL the example's /api/auth/token: {status} {body[:300]!r}"]
    token = json.loads(body)["token"]
    payload = token.split(".")[1]
    user_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    status, body, _ = _status_and_body(f"{api}/api/{user_id}/tasks", {"Authorization": f"Bearer {token}"})
    listed = "ok  " if status == 200 else "FAIL"
    return [
        "ok   200 sign-up through the example's Better Auth, and its jwt plugin's token",
        f"{listed} {status} (README: 200)  GET /api/{{user_id}}/tasks on the API with that token",
    ]


def check_nextjs() -> list[str]:
    """The README's two commands for the Next.js example, each in its own process group, then a sign-up."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in (*SETTINGS, *EXAMPLE_SETTINGS) and not key.startswith("TODO_")
    }
    api_port, example_port = free_port(), free_port()
    api, frontend = f"http://127.0.0.1:{api_port}", f"http://localhost:{example_port}"
    env = {
        **clean,
        "PORT": str(api_port),
        "EXAMPLE_PORT": str(example_port),
        "NEXT_PUBLIC_API_URL": f"http://localhost:{api_port}",
    }
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newcomer-nextjs-") as directory:
        clone = fresh_clone(Path(directory))
        blocks = checked_blocks(clone / "README.md")
        if NEXTJS not in blocks:
            return [f"FAIL README.md has no <!-- newcomer-check: {NEXTJS} --> block"]
        block = blocks[NEXTJS].replace(EXAMPLE_ORIGIN, frontend)
        commands = [line for line in block.splitlines() if line.split("#", 1)[0].strip()]
        if len(commands) != 2:
            return [f"FAIL the README's Next.js block has {len(commands)} commands, not two: {commands}"]
        servers: list[tuple[subprocess.Popen[str], Path, str]] = []
        started = time.monotonic()
        try:
            for index, (command, base, path) in enumerate(
                zip(commands, (api, frontend), ("/health", "/sign-in"), strict=True)
            ):
                log = Path(directory) / f"command-{index + 1}.log"
                server = start(["bash", "-c", command], clone, env, log)
                servers.append((server, log, command))
                what = f"`{command.split('#', 1)[0].strip()}`"
                wait_until_up(base, server, log, path=path, what=what)
                lines.append(f"ok   {what} answered after {time.monotonic() - started:.0f} s")
            lines += example_probe(frontend, api)
        except NewcomerCheckError as error:
            lines.append(f"FAIL {error}")
        finally:
            for server, _, _ in reversed(servers):
                stop(server)
        for _, log, command in servers:
            if "Traceback" in log.read_text():
                lines.append(f"FAIL `{command}` printed a traceback:\n{log.read_text()[-3000:]}")
        dirty = run(["git", "status", "--porcelain"], clone, clean, timeout=30).stdout.strip()
        if dirty:
            lines.append(f"FAIL the example left files git does not ignore: {dirty}")
    return lines


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except NewcomerCheckError as error:
        print(f"newcomer: FAIL {error}")
        return 1


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setup", choices=["plain", "guide", "postgres", "nextjs"], action="append")
    args = parser.parse_args(argv)
    failures = 0
    for setup in args.setup or DEFAULT_SETUPS:
        started = time.monotonic()
        if setup == "nextjs":
            lines = check_nextjs()
        elif setup == "postgres":
            from devtools.postgres import direct_url, fresh_database

            with fresh_database() as name:
                # The shared server trusts every local user, so any password signs in: one is given, so that
                # the check can see it is printed nowhere (the banner shows the URL without it).
                url = make_url(direct_url(name)).set(password=f"newcomer-{secrets.token_hex(8)}")
                lines = check(setup, url.render_as_string(hide_password=False))
        else:
            lines = check(setup, None)
        print(f"-- newcomer, {setup} set-up ({time.monotonic() - started:.0f} s)")
        for line in lines:
            print(f"   {line}")
        failures += sum(line.startswith("FAIL") for line in lines)
    print(f"newcomer: {'ok' if not failures else f'{failures} problems'}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
