"""``sam local invoke`` and ``sam local start-api`` for real: Docker, the Lambda image (or the local stand-in of
scripts/lambda-image), PostgreSQL behind PgBouncer in transaction mode, reached from the containers at the
Docker bridge's gateway.

It runs the README's "Lambda locally, with Docker" section command for command (``COMMANDS``; a test that
needs no Docker checks the README against it), with a fresh database and a PgBouncer of its own:
- every events/ file through ``sam local invoke``, with the status of events/expectations.json;
- the black-box walk-through through ``sam local start-api``, and CORS as ``sam local`` answers it;
- the Next.js example's Chromium flow (``jwt`` mode) through a start-api of its own;
- the functions on a read-only code directory without their settings: a one-line configuration error.

Needs Docker: run by scripts/sam-local (TODO_SAM_LOCAL=1; CI runs it), deselected otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools import postgres, template
from devtools.event_sequence import EventOutcome, EventStep, replay_events
from devtools.net import free_port
from devtools.paths import ROOT
from tests.support.walkthrough import FRONTEND, walk_through

README_SECTION = "## Lambda locally, with Docker"
# The section's commands, in its order ({name}: this run's value). The invoke runs for every events/ file.
COMMANDS: dict[str, list[str]] = {
    "daemon": ["scripts/docker-daemon", "start"],
    "image": ["scripts/lambda-image"],
    "build": ["sam", "build", "--config-env", "x86_64"],
    "migrate": ["make", "migrate", "DATABASE_URL={direct_url}"],
    "env": [".venv/bin/python", "-m", "devtools.sam_env", "DATABASE_URL={pooled_url}"],
    "invoke": [
        *("sam", "local", "invoke", "--config-env", "x86_64", "{function}", "-e", "{event}"),
        *("--invoke-image", "{image}", "--skip-pull-image"),
    ],
    "start_api": [
        "sam",
        "local",
        "start-api",
        "--config-env",
        "x86_64",
        "--invoke-image",
        "{image}",
        "--skip-pull-image",
    ],
}
PORT = 3001  # samconfig.toml's start-api port
ENV_FILE = ROOT / "env.sam-local.json"
needs_docker = pytest.mark.docker  # deselected unless TODO_SAM_LOCAL=1 (tests/conftest.py)


def readme_commands() -> list[list[str]]:
    """The commands of the README section's shell block (``image=$(…)`` gives its command)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(README_SECTION) :]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, f"no bash block under {README_SECTION!r}"
    commands = []
    for line in block[1].splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assignment = re.fullmatch(r"\w+=\$\((.*)\)", " ".join(words))
        commands.append(shlex.split(assignment[1]) if assignment else words)
    return commands


def _matches(template: list[str], words: list[str]) -> bool:
    if len(template) != len(words):
        return False
    for pattern, word in zip(template, words, strict=True):
        regex = ".+".join(re.escape(part) for part in re.split(r"\{\w+\}", pattern))
        if not re.fullmatch(regex, word):
            return False
    return True


def test_the_readme_section_is_what_this_module_runs() -> None:
    readme = readme_commands()
    assert len(readme) == len(COMMANDS), readme
    for (name, pattern), words in zip(COMMANDS.items(), readme, strict=True):
        assert _matches(pattern, words), f"README's {shlex.join(words)!r} is not this module's {name} command"


def test_a_readme_command_changed_alone_is_caught() -> None:
    assert not _matches(COMMANDS["build"], ["sam", "build"])
    assert not _matches(
        COMMANDS["invoke"], ["sam", "local", "invoke", "HealthFunction", "-e", "events/health.json"]
    )
    assert _matches(COMMANDS["migrate"], ["make", "migrate", "DATABASE_URL=postgresql://x@h/db"])


# --- running the section ---------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    """A user's plain shell: sam on PATH, none of the test suite's settings (sam local would pass a declared
    variable's shell value on to the functions)."""
    python = subprocess.run(
        [str(ROOT / "scripts/find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()
    environment = {
        "PATH": f"{ROOT / '.venv-sam' / 'bin'}:{Path(python).parent}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "SAM_CLI_TELEMETRY": "0",
    }
    if "DOCKER_HOST" in os.environ:
        environment["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    return environment


ENVIRONMENT = _environment()


def command(name: str, **values: str) -> list[str]:
    return [word.format(**values) for word in COMMANDS[name]]


def run(name: str, *extra: str, show: bool = True, **values: str) -> subprocess.CompletedProcess[str]:
    words = [*command(name, **values), *extra]
    started = time.monotonic()
    completed = subprocess.run(
        words, cwd=ROOT, env=ENVIRONMENT, capture_output=True, text=True, check=False, timeout=900
    )
    if show:
        print(
            f"$ {shlex.join(words)}   # {time.monotonic() - started:.1f} s, exit {completed.returncode}",
            flush=True,
        )
    assert completed.returncode == 0, (
        f"{shlex.join(words)} failed:\n{completed.stdout}\n{completed.stderr[-6000:]}"
    )
    return completed


def _lambda_containers() -> list[str]:
    return subprocess.run(
        ["docker", "ps", "-aq", "--filter", "label=sam.cli.container.type=lambda"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


@dataclass(frozen=True, slots=True)
class Stack:
    image: str
    gateway: str


def _bridge_gateway() -> str:
    """Where the containers reach this machine (scripts/docker-daemon knows how to find it)."""
    completed = subprocess.run(
        [str(ROOT / "scripts" / "docker-daemon"), "gateway"], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        pytest.fail(f"no Docker bridge gateway: {completed.stderr.strip()}", pytrace=False)
    return completed.stdout.strip()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The section up to the invocations: daemon, image, build, a migrated database behind PgBouncer and
    env.sam-local.json (a developer's own one is put back afterwards)."""
    run("daemon")
    image = run("image").stdout.strip()
    run("build")
    reason = postgres.postgres_unavailable_reason() or (
        None if postgres.pgbouncer_binary() else "the pgbouncer binary is not installed"
    )
    if reason:
        pytest.fail(f"required but unavailable: {reason}", pytrace=False)
    gateway = _bridge_gateway()
    kept = ENV_FILE.with_name("env.sam-local.json.kept-during-tests")
    if ENV_FILE.exists():
        ENV_FILE.rename(kept)
    # PgBouncer listens on loopback and on the bridge's gateway only: the containers reach it there.
    with (
        postgres.fresh_database() as database,
        postgres.running_pgbouncer(
            tmp_path_factory.mktemp("pgbouncer"), settings={"listen_addr": f"127.0.0.1,{gateway}"}
        ) as bouncer,
    ):
        try:
            run("migrate", direct_url=postgres.direct_url(database))
            pooled = bouncer.url(database, host=gateway, query="sslmode=disable")
            run("env", pooled_url=pooled)
            print(
                f"   database {database}: PgBouncer (transaction mode) on {gateway}:{bouncer.port}",
                flush=True,
            )
            yield Stack(image=image, gateway=gateway)
        finally:
            ENV_FILE.unlink(missing_ok=True)
            if kept.exists():
                kept.rename(ENV_FILE)


def _invoke(
    stack: Stack, function: str, event: dict[str, Any], directory: Path, *extra: str
) -> tuple[dict[str, Any], str]:
    """``sam local invoke`` of ``function`` with ``event`` (written to a file, as a user would edit one):
    the function's response and SAM's log."""
    path = directory / "event.json"
    path.write_text(json.dumps(event))
    completed = run("invoke", *extra, show=False, function=function, event=str(path), image=stack.image)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no response on stdout:\n{completed.stdout}\n{completed.stderr[-4000:]}"
    response: dict[str, Any] = json.loads(lines[-1])
    return response, completed.stderr


@needs_docker
def test_every_event_through_sam_local_invoke(stack: Stack, tmp_path: Path) -> None:
    print(f"-- sam local invoke: every events/ file ({stack.image})", flush=True)

    def call(step: EventStep) -> EventOutcome:
        response, log = _invoke(stack, step.resource, step.event, tmp_path)
        _, marker, after = log.partition("Traceback (most recent call last)")
        return EventOutcome(
            status=int(response["statusCode"]),
            body=response.get("body", ""),
            problem=f"the function logged a traceback: {' '.join(after.split())[-600:]}" if marker else None,
        )

    assert replay_events(call) == 0


def _signup_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads((ROOT / "events" / "auth-signup.json").read_text())
    return event


@needs_docker
@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"ENVIRONMENT": "local"},
            "configuration error: DATABASE_URL is not set, and its local default would be written into the "
            "function's code directory (/var/task/.local); set DATABASE_URL",
        ),
        (
            {
                "ENVIRONMENT": "local",
                "DATABASE_URL": "postgresql://postgres@{gateway}:1/none?sslmode=disable",
            },
            "configuration error: BETTER_AUTH_SECRET is not set, and its local default would be written into "
            "the function's code directory (/var/task/.local); set BETTER_AUTH_SECRET",
        ),
    ],
    ids=["no-database-url", "no-secret"],
)
def test_a_read_only_code_directory_is_a_one_line_configuration_error(
    stack: Stack, tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    """``ENVIRONMENT=local`` under sam local without the plain settings used to be a 500
    (``OSError: [Errno 30] Read-only file system: '.local'``): the local defaults tried to write into
    /var/task."""
    values = {name: value.format(gateway=stack.gateway) for name, value in settings.items()}
    env_file = tmp_path / "env.json"
    env_file.write_text(
        json.dumps({"Parameters": {"DATABASE_URL_REF": "", "BETTER_AUTH_SECRET_REF": "", **values}})
    )
    response, log = _invoke(stack, "AuthFunction", _signup_event(), tmp_path, "--env-vars", str(env_file))
    body = json.loads(response["body"])
    assert (response["statusCode"], body["code"]) == (503, "service_misconfigured")
    messages = [
        json.loads(line)["message"] for line in log.splitlines() if line.startswith('{"level":"ERROR"')
    ]
    assert messages == [message]
    assert "Traceback" not in log
    assert "Read-only file system" not in log
    shown = ", ".join(f"{name}={value}" for name, value in values.items())
    print(f"ok   {shown}: {response['statusCode']} {body['code']}, one log line: {message}", flush=True)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def running_start_api(words: list[str], base: str, log_path: Path) -> Iterator[str]:
    """``sam local start-api`` (``words``) until ``base`` answers; stopped as Ctrl-C stops it, and the Lambda
    containers it started must then be gone."""
    before = set(_lambda_containers())  # another start-api's (a test's, still warm) are not this one's
    started = time.monotonic()
    with log_path.open("w") as log:
        process = subprocess.Popen(words, cwd=ROOT, env=ENVIRONMENT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, f"sam local start-api exited:\n{log_path.read_text()[-6000:]}"
            assert time.monotonic() < deadline, f"no answer in 180 s:\n{log_path.read_text()[-6000:]}"
            try:
                if httpx.get(f"{base}/health", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        print(f"$ {shlex.join(words)}   # answering after {time.monotonic() - started:.1f} s", flush=True)
        yield base
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: SAM stops its containers
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        # SAM removes its containers as it exits, and Docker may still list one whose removal is under way:
        # wait for them to go (a container still there after 30 s was left behind).
        gone_by = time.monotonic() + 30
        while (left := [c for c in _lambda_containers() if c not in before]) and time.monotonic() < gone_by:
            time.sleep(0.5)
        states = ""
        if left:
            states = subprocess.run(
                [
                    "docker",
                    "inspect",
                    "--format",
                    "{{.Id}} {{.State.Status}} exit {{.State.ExitCode}} created {{.Created}} mounts {{range .Mounts}}{{.Source}} {{end}}",
                    *left,
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            subprocess.run(["docker", "rm", "-f", *left], capture_output=True, check=False)
        # An error of this teardown fails the run: stopping sam local must stop its containers.
        assert left == [], (
            f"sam local start-api left containers behind: {left}\n{states}\n{log_path.read_text()[-3000:]}"
        )


@pytest.fixture(scope="module")
def api(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sam local start-api`` (the section's last command) until it answers."""
    assert _free(PORT), f"port {PORT} (samconfig.toml's start-api port) is taken"
    log_path = tmp_path_factory.mktemp("start-api") / "sam.log"
    with running_start_api(
        command("start_api", image=stack.image), f"http://127.0.0.1:{PORT}", log_path
    ) as base:
        yield base


@needs_docker
def test_walk_through_through_sam_local_start_api(api: str) -> None:
    print("-- sam local start-api: the walk-through", flush=True)
    # sam local does not implement the HTTP API's ExposeHeaders: a page cannot read ETag there.
    walk_through(api, exposes_headers=False, report=lambda line: print(line, flush=True))


def _cors(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.startswith("access-control-")}


@needs_docker
def test_cors_as_sam_local_answers_it(api: str) -> None:
    """What sam local sends, pinned down (the README's "Lambda locally, with Docker" compares it with
    devtools.local_gateway's API Gateway behaviour): SAM answers every OPTIONS itself, 200 (API Gateway: 204
    for a preflight), with no CORS headers for an origin not allowed, without looking at the method or headers
    asked for; every answer to an allowed origin repeats the preflight headers and has no Expose-Headers."""
    preflight_headers = {
        "access-control-allow-origin": FRONTEND,
        "access-control-allow-methods": "DELETE,GET,OPTIONS,PATCH,POST,PUT",
        "access-control-allow-headers": "Content-Type,Authorization,If-Match,Idempotency-Key",
        "access-control-allow-credentials": "true",
        "access-control-max-age": str(template.cors(template.project_template()).max_age),
    }
    asked = {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization,if-match",
    }
    preflight = httpx.options(f"{api}/api/tasks/1", headers={"Origin": FRONTEND, **asked})
    assert (preflight.status_code, preflight.content) == (200, b"")
    assert _cors(preflight) == preflight_headers
    print(f"ok   preflight from {FRONTEND}: {preflight.status_code} {_cors(preflight)}", flush=True)
    other = httpx.options(f"{api}/api/tasks", headers={"Origin": "https://evil.example.com", **asked})
    assert (other.status_code, _cors(other)) == (200, {})
    print(f"ok   preflight from another origin: {other.status_code}, no CORS headers", flush=True)
    unlisted = httpx.options(
        f"{api}/api/tasks", headers={"Origin": FRONTEND, "Access-Control-Request-Method": "TRACE"}
    )
    assert (unlisted.status_code, _cors(unlisted)) == (200, preflight_headers)
    print(f"ok   preflight asking for TRACE: {unlisted.status_code}, the same headers", flush=True)
    plain = httpx.options(f"{api}/api/tasks", headers={"Origin": FRONTEND})
    assert (plain.status_code, _cors(plain)) == (200, preflight_headers)
    print(
        f"ok   OPTIONS without Access-Control-Request-Method: {plain.status_code}, as a preflight", flush=True
    )
    health = httpx.get(f"{api}/health", headers={"Origin": FRONTEND})
    assert health.status_code == 200
    assert _cors(health) == preflight_headers
    assert _cors(httpx.get(f"{api}/health", headers={"Origin": "https://evil.example.com"})) == {}
    assert _cors(httpx.get(f"{api}/health")) == {}
    print(
        f"ok   GET /health from {FRONTEND}: the preflight's headers, no Expose-Headers; others: none",
        flush=True,
    )


@needs_docker
def test_the_nextjs_example_through_sam_local_start_api(stack: Stack, tmp_path: Path) -> None:
    """examples/nextjs in the ``jwt`` mode, its whole Chromium flow (tests/system/test_nextjs_example.py, run
    with its TODO_EXAMPLE_* settings), through a start-api of its own: the example's origin in FrontendOrigins
    (SAM's CORS) and BetterAuthUrl (the functions fetch its JWKS), and ``ENVIRONMENT=local``, because a
    BETTER_AUTH_URL over plain http is for local development only. The example and start-api both listen on the
    Docker bridge's gateway: the containers reach the example there, the tokens' ``iss`` names it, and Chromium
    lets a page on a non-loopback http origin call an API only in the same address space (a loopback API is
    refused: Private Network Access). SAM's CORS exposes no headers, so the page shows no X-Total-Count there;
    the flow does not need it."""
    print("-- sam local start-api: the Next.js example (jwt mode) in Chromium", flush=True)
    api_port, frontend_port = free_port(), free_port()
    origin = f"http://{stack.gateway}:{frontend_port}"
    settings = json.loads(ENV_FILE.read_text())["Parameters"]
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"Parameters": {**settings, "ENVIRONMENT": "local"}}))
    words = [
        *command("start_api", image=stack.image),
        *("--host", stack.gateway, "--port", str(api_port), "--env-vars", str(env_file)),
        *("--parameter-overrides", f"Architecture=x86_64 FrontendOrigins={origin} BetterAuthUrl={origin}"),
    ]
    log_path = tmp_path / "sam.log"
    with running_start_api(words, f"http://{stack.gateway}:{api_port}", log_path) as base:
        flow = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "tests/system/test_nextjs_example.py", "-k", "jwt"],
            cwd=ROOT,
            env={
                **os.environ,
                "TODO_EXAMPLE_API_URL": base,
                "TODO_EXAMPLE_SECRET": settings["BETTER_AUTH_SECRET"],
                "TODO_EXAMPLE_FRONTEND_HOST": stack.gateway,
                "TODO_EXAMPLE_FRONTEND_PORT": str(frontend_port),
                "TODO_ARTIFACTS_DIR": str(ROOT / ".artifacts" / "sam-local"),
                "TODO_REQUIRE_BROWSER": "1",
            },
            check=False,
            timeout=1800,
        )
    assert flow.returncode == 0, (
        f"the example's flow through sam local start-api failed (its output is above); SAM's log ends with:\n"
        f"{log_path.read_text()[-4000:]}"
    )
