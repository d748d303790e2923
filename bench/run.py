"""The benchmark: cold starts, warm requests, round trips, login and sizes, beside two baselines, in one run.

    .venv/bin/python -m bench.run [--rounds 15] [--warm 300] [--login 20] [--network loopback,1ms]
                                  [--output docs/performance.md]

Needs: the SAM build for this machine's architecture (``.aws-sam/x86_64/build`` here; ``scripts/sam-check
--build-only`` is run if it is missing), PostgreSQL on 127.0.0.1 and the pgbouncer binary. Starts a moto
server to answer the Secrets Manager / SSM look-ups, a fresh database with two users (one with 20 tasks and a
bcrypt password at the production cost, one that receives the created tasks), and PgBouncer in transaction
mode in front of it.

Every measured process is a fresh ``python3.13 -I -S`` whose path holds only the function's directory, the
layer's ``python/``, the standard library and a ``runtime/`` folder with boto3 (as Lambda's /var/task,
/opt/python, /var/lang and /var/runtime). Cold starts run round-robin across targets, in a rotating order,
round by round; warm invocations run in long-lived workers (one per function) that take turns, a batch
each, step by step. Figures are median and p99 (nearest rank).

``--network`` lists the networks between the functions and PgBouncer: ``loopback`` (direct), or a round trip
such as ``1ms`` (same region) or ``10ms`` (another region), added by the delay relay (bench/netdelay.py, one
process per round trip, the same for every row). Every row is measured on every network: each network has
its own secret holding its database URL, the cold rounds and warm steps go through all networks' cases in
turn. The relays are calibrated first: a ``SELECT 1`` and a connect through each, against PgBouncer directly
and through a relay that adds nothing.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import logging
import math
import os
import platform
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import bcrypt

from bench import network, report, stats
from bench.model import BCRYPT_COSTS, BCRYPT_SAMPLES, Call, ColdCase, Mode, Subject, WarmSamples
from devtools import postgres
from devtools.invoke_built import tree_size
from devtools.lambda_kit.bytecode import is_hash_based
from devtools.lambda_kit.context import REGION
from devtools.lambda_kit.environment import lambda_environment
from devtools.lambda_kit.events import http_api_event
from devtools.lambda_kit.isolated import isolated_command
from devtools.lambda_kit.runtime import runtime_standin
from devtools.migrate import migrate
from devtools.net import free_port
from devtools.paths import ROOT
from devtools.secrets_extension_standin import extension_standin
from devtools.template import Route
from todo_shared.auth.passwords import hash_password
from todo_shared.auth.tokens import issue_token
from todo_shared.config.settings import load_settings

BENCH_DIR = ROOT / "bench"
WORKER = BENCH_DIR / "coldstart_worker.py"
SECRET = secrets.token_urlsafe(48)  # a throwaway key, random: production refuses guessable ones
PASSWORD = "bench-password-0123"  # noqa: S105 (the seeded user's throwaway password)
SEEDED_TASKS = 20
ACCOUNT = "123456789012"  # moto's default account
FUNCTIONS = ("TasksFunction", "AuthFunction", "HealthFunction", "DocsFunction")
# Whose first route is profiled warm, and how many invocations at most (cProfile slows them down a lot).
WARM_PROFILED = ("tasks", "health", "floor", "straightforward")
PROFILED_INVOCATIONS = 200
# Each function's settings beside Lambda's (the AWS ones are moto's: start_moto adds its endpoint and ARNs).
BENCH_SETTINGS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "FRONTEND_URL": "http://localhost:3000",
    "POWERTOOLS_METRICS_NAMESPACE": "TodoApiBench",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


# make bench: loopback and the same-region round trip (10ms doubles the run's time again; ask for it).
DEFAULT_NETWORKS = "loopback,1ms"
# The relay with nothing added, calibrated beside the others: what the relay itself costs.
ZERO_RELAY = "relay, 0 ms added"
# The template's SecretsReader=extension, answered by the extension's stand-in (which asks moto).
EXTENSION_READER = "secrets through the Lambda extension"
EXTENSION_TOKEN = "bench-session-token"  # noqa: S105 (the stand-in's throwaway session token)


@dataclass(frozen=True)
class Seed:
    reader_id: str
    reader_email: str
    writer_id: str
    task_ids: tuple[int, ...]


# --- Set-up -------------------------------------------------------------------------------------------------


def find_python() -> str:
    return subprocess.run(
        [str(ROOT / "scripts/find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()


def build_dir() -> Path:
    machine = platform.machine()
    directory = ROOT / (".aws-sam/build" if machine in ("aarch64", "arm64") else ".aws-sam/x86_64/build")
    if not directory.is_dir():
        subprocess.run([str(ROOT / "scripts/sam-check"), "--build-only"], check=True, cwd=ROOT)
    missing = [
        name
        for name in (*FUNCTIONS, "SharedLayer/python/todo_shared")
        if not (directory / name / ("" if "/" in name else "app.py")).exists()
    ]
    if missing:
        raise SystemExit(
            f"{directory} is incomplete (a build may be running; try again when it ends): {', '.join(missing)}"
        )
    return directory


def production_bcrypt_rounds(database_url: str) -> int:
    """The cost the functions use in production: settings.py's default, read the way the functions read it."""
    env = {"ENVIRONMENT": "production", "DATABASE_URL": database_url, "BETTER_AUTH_SECRET": SECRET}
    return load_settings(env).bcrypt_rounds


def seed(database: str, password_hash: str) -> Seed:
    """A reader with 20 tasks and a password; a writer that receives the tasks the benchmark creates."""
    connection = postgres.connect(database)
    now = datetime.now(UTC)
    reader_id, writer_id = str(uuid.uuid4()), str(uuid.uuid4())
    reader_email = f"bench-{reader_id[:8]}@example.com"
    for user_id, email, hashed in (
        (reader_id, reader_email, password_hash),
        (writer_id, f"bench-{writer_id[:8]}@example.com", None),
    ):
        connection.run(
            "INSERT INTO users (id, issuer, subject, email, name, password_hash, created_at, updated_at) "
            "VALUES (:i, 'local', :i, :e, 'Bench', :p, :n, :n)",
            i=user_id,
            e=email,
            p=hashed,
            n=now,
        )
    task_ids: list[int] = []
    for index in range(SEEDED_TASKS):
        rows = connection.run(
            "INSERT INTO tasks (user_id, title, description, completed, priority, created_at, updated_at) "
            "VALUES (:u, :t, :d, false, 'medium', :n, :n) RETURNING id",
            u=reader_id,
            t=f"Task {index}",
            d="Something to do",
            n=now,
        )
        task_ids.append(int(rows[0][0]))
    connection.close()
    return Seed(reader_id, reader_email, writer_id, tuple(task_ids))


def server_versions(database: str) -> tuple[str, str]:
    connection = postgres.connect(database)
    postgresql = str(connection.run("SHOW server_version")[0][0])
    connection.close()
    binary = postgres.pgbouncer_binary() or "pgbouncer"
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    return postgresql, (output.splitlines() or ["unknown"])[0]


def moto_server() -> tuple[Any, dict[str, str]]:
    """A local moto server (Secrets Manager, SSM, …) and the boto3 client options that reach it."""
    from moto.server import ThreadedMotoServer

    # The server's request log would bury the progress lines.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {
        "endpoint_url": f"http://127.0.0.1:{port}",
        "region_name": REGION,
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    return server, options


def start_moto(database_urls: dict[str, str]) -> tuple[Any, dict[str, dict[str, str]], dict[str, str]]:
    """moto answering Secrets Manager and SSM; one database URL secret per network, and each one's settings."""
    import boto3

    server, options = moto_server()
    endpoint = options["endpoint_url"]
    secrets = boto3.client("secretsmanager", **options)
    arns = {
        name: secrets.create_secret(Name=f"bench/db-{name}", SecretString=url)["ARN"]
        for name, url in database_urls.items()
    }
    boto3.client("ssm", **options).put_parameter(Name="/bench/auth-secret", Value=SECRET, Type="SecureString")
    envs = {
        name: {
            "AWS_ENDPOINT_URL": endpoint,
            # ARNs, as the template's parameters require.
            "DATABASE_URL_REF": arn,
            "BETTER_AUTH_SECRET_REF": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/bench/auth-secret",
            # The baselines read the parameter by name.
            "BASELINE_SECRET_PARAMETER": "/bench/auth-secret",
        }
        for name, arn in arns.items()
    }
    return server, envs, options


def subjects(built: Path, seed_data: Seed, *, warm: int, login: int) -> list[Subject]:
    def bearer(user_id: str) -> list[tuple[str, str]]:
        token = issue_token(
            user_id=user_id, email=f"bench-{user_id[:8]}@example.com", secret=SECRET, expires_minutes=240
        ).token
        return [("authorization", f"Bearer {token}"), ("accept", "application/json")]

    reader, writer = bearer(seed_data.reader_id), bearer(seed_data.writer_id)
    json_body = [("content-type", "application/json")]

    def call(
        method: str,
        path: str,
        route: str,
        function: str,
        *,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        body: object = None,
        invocations: int = warm,
        list_length: int | None = None,
    ) -> Call:
        event = http_api_event(
            method=method,
            path=path,
            route=Route(method, route, function),
            headers=[*(headers or []), *(json_body if body is not None else [])],
            body=b"" if body is None else json.dumps(body).encode(),
        )
        return Call(f"{method} {route}", event, status, invocations, list_length)

    read_id, toggle_id = seed_data.task_ids[0], seed_data.task_ids[1]
    # The list comes first and the created tasks go to another user: the reader's list stays at 20.
    listing = call("GET", "/api/tasks", "/api/tasks", "tasks", headers=reader, list_length=SEEDED_TASKS)
    return [
        Subject(
            "tasks",
            "tasks function",
            built / "TasksFunction",
            (
                listing,
                call(
                    "POST",
                    "/api/tasks",
                    "/api/tasks",
                    "tasks",
                    status=201,
                    headers=writer,
                    body={
                        "title": "Benchmark task",
                        "description": "Created by bench.run",
                        "priority": "high",
                    },
                ),
                call("GET", f"/api/tasks/{read_id}", "/api/tasks/{task_id}", "tasks", headers=reader),
                call(
                    "PATCH",
                    f"/api/tasks/{toggle_id}/complete",
                    "/api/tasks/{task_id}/complete",
                    "tasks",
                    headers=reader,
                ),
            ),
        ),
        Subject(
            "auth",
            "auth function",
            built / "AuthFunction",
            (
                call("GET", "/api/auth/verify", "/api/auth/verify", "auth", headers=reader),
                call(
                    "POST",
                    "/api/auth/login",
                    "/api/auth/login",
                    "auth",
                    body={"email": seed_data.reader_email, "password": PASSWORD},
                    invocations=login,
                ),
            ),
        ),
        Subject(
            "health",
            "health function",
            built / "HealthFunction",
            (
                call("GET", "/health", "/health", "health"),
                call("GET", "/health/ready", "/health/ready", "health"),
            ),
        ),
        Subject(
            "docs",
            "docs function",
            built / "DocsFunction",
            (call("GET", "/openapi.json", "/openapi.json", "docs"),),
        ),
        Subject(
            "floor", "floor (pg8000 by hand)", BENCH_DIR / "baselines" / "floor", (listing,), baseline=True
        ),
        Subject(
            "straightforward",
            "straightforward (FastAPI + Mangum + SQLModel)",
            BENCH_DIR / "baselines" / "naive",
            (listing,),
            baseline=True,
        ),
    ]


def calibrate_relays(
    bouncer_port: int, database: str, ports: dict[str, int], *, samples: int
) -> dict[str, network.Calibration]:
    """PgBouncer directly, through a relay adding 0 ms (started for this), and through each network's relay."""
    with network.running_relay(bouncer_port, 0) as zero:
        routes = {
            "direct": bouncer_port,
            ZERO_RELAY: zero,
            **{f"relay, {name}": port for name, port in ports.items()},
        }
        found = network.calibrate(
            user=postgres.POSTGRES_USER, database=database, ports=routes, samples=samples
        )
    print("\n".join(network.calibration_lines(found, direct="direct")), flush=True)
    return found


# --- Code directories -----------------------------------------------------------------------------------------


Bytecode = Literal["all", "hash-based", "none"]


def copy_code(source: Path, destination: Path, *, bytecode: Bytecode) -> Path:
    """A copy of a code directory with all, only the hash-based or none of its .pyc files.

    Only hash-based ones count as shipped: a timestamp .pyc records its source's mtime, which the zip round
    trip to Lambda does not keep, so there Python finds it stale and compiles the source again (in memory, as
    the directory is read-only). One in a build directory is left over from running code in it."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        if bytecode == "none":
            return {name for name in names if name == "__pycache__" or name.endswith(".pyc")}
        if bytecode == "hash-based":
            return {
                name for name in names if name.endswith(".pyc") and not is_hash_based(Path(directory) / name)
            }
        return set()

    shutil.copytree(source, destination, ignore=ignore)
    return destination


def set_writable(root: Path, *, writable: bool) -> None:
    """chmod -R a-w (Lambda's code directories are read-only), or give the owner write access back."""
    for directory, _, files in os.walk(root):
        for path in (Path(directory), *(Path(directory) / name for name in files)):
            if path.is_symlink():  # chmod would change its target; the link's own mode means nothing
                continue
            mode = path.stat().st_mode
            path.chmod(mode | 0o200 if writable else mode & ~0o222)


def tree_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root`` with its size and modification time."""
    found: dict[str, tuple[int, int]] = {}
    for path in root.rglob("*"):
        status = path.lstat()
        found[str(path.relative_to(root))] = (status.st_size, status.st_mtime_ns)
    return found


def read_only_prefix() -> list[str]:
    """As root, mode bits do not stop writes: start the interpreter without the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SystemExit(
            "running as root needs setpriv (util-linux) to make the read-only code directories bind"
        )
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def distribution_versions(*directories: Path) -> dict[str, str]:
    """``{canonical name: version}`` from the ``*.dist-info/METADATA`` files in ``directories``."""
    found: dict[str, str] = {}
    for directory in directories:
        for metadata in sorted(directory.glob("*.dist-info/METADATA")):
            headers: dict[str, str] = {}
            for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
                if not line:
                    break
                key, _, value = line.partition(":")
                headers.setdefault(key.strip().lower(), value.strip())
            if "name" in headers and "version" in headers:
                found[re.sub(r"[-_.]+", "-", headers["name"]).lower()] = headers["version"]
    return found


# --- Workers ----------------------------------------------------------------------------------------------


def write_spec(directory: Path, subject: Subject) -> Path:
    path = directory / f"{subject.key}.json"
    path.write_text(json.dumps({"routes": [call.spec() for call in subject.calls]}))
    return path


def run_cold(
    python: str,
    case: ColdCase,
    spec: Path,
    env: dict[str, str],
    *,
    prefix: list[str],
    import_time: bool = False,
) -> tuple[dict[str, Any], str]:
    """One cold start in a fresh interpreter: the worker's timings, and its standard error."""
    flags = [*(["-B"] if case.mode == "fresh" else []), *(["-X", "importtime"] if import_time else [])]
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        spawned = time.monotonic()
        completed = subprocess.run(
            [
                *prefix,
                *isolated_command(
                    python,
                    WORKER,
                    case.code_dir,
                    case.layer,
                    case.runtime,
                    "restore" if case.mode == "restore" else "cold",
                    str(spec),
                    result.name,
                    repr(spawned),
                    flags=flags,
                ),
            ],
            env={**env, **dict(case.settings)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{case.label} ({case.mode}) failed:\n{completed.stderr[-3000:]}")
        data: dict[str, Any] = json.loads(Path(result.name).read_text())
    if data["problem"]:
        raise RuntimeError(f"{case.label} ({case.mode}): {data['problem']}")
    return data, completed.stderr


class WarmWorker:
    """A long-lived container: one process answering batches of invocations on request."""

    def __init__(
        self,
        python: str,
        subject: Subject,
        code_dir: Path,
        layer: Path,
        runtime: Path,
        spec: Path,
        env: dict[str, str],
        log: Path,
    ) -> None:
        self.subject = subject
        self.log = log
        read_end, write_end = os.pipe()
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                isolated_command(
                    python,
                    WORKER,
                    code_dir,
                    layer,
                    runtime,
                    "warm",
                    str(spec),
                    os.devnull,
                    repr(time.monotonic()),
                    str(write_end),
                ),
                env=env,
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=output,
                pass_fds=(write_end,),
                text=True,
            )
        os.close(write_end)
        self.replies: IO[str] = os.fdopen(read_end)

    def receive(self) -> Any:
        line = self.replies.readline()
        if not line:
            self.process.wait(30)
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"{self.subject.label}: the warm worker exited ({self.process.returncode}):\n{tail}"
            )
        reply = json.loads(line)
        if isinstance(reply, dict) and "problem" in reply:
            raise RuntimeError(f"{self.subject.label}: {reply['problem']}")
        return reply

    def run(self, counts: dict[str, int]) -> dict[str, dict[str, list[float]]]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(counts) + "\n")
        self.process.stdin.flush()
        reply: dict[str, dict[str, list[float]]] = self.receive()
        return reply

    def profile(self, invocations: int) -> dict[str, float]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"profile": invocations}) + "\n")
        self.process.stdin.flush()
        reply: dict[str, float] = self.receive()
        return reply

    def close(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                self.process.stdin.write("{}\n")
                self.process.stdin.close()
                self.process.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.replies.close()


def share(total: int, steps: int, step: int) -> int:
    """This step's part of ``total`` invocations spread evenly over ``steps``."""
    return total // steps + (1 if step < total % steps else 0)


def rotated[T](items: list[T], by: int) -> list[T]:
    """A different target goes first each round, so none always follows the same neighbour."""
    if not items:
        return items
    shift = by % len(items)
    return items[shift:] + items[:shift]


# --- Measurements ---------------------------------------------------------------------------------------------


def cold_cases(
    work: Path, built: Path, runtime: Path, targets: list[Subject], *, extension: dict[str, str]
) -> list[ColdCase]:
    """Compiled: every module's bytecode present (a first run writes what the build did not ship). Fresh: the
    artifacts exactly as built and read-only, nothing written while they run, as Lambda starts a new version.
    The baselines are built the obvious way (SAM's python builder ships no bytecode): fresh, they run on the
    layer's packages without bytecode; a last case shows the straightforward handler on the project's layer.
    Restore: the tasks function's compiled copy as after a SnapStart restore, with either secrets reader
    (``extension``: the settings that select the extension's stand-in)."""
    layer = built / "SharedLayer" / "python"
    compiled_layer = copy_code(layer, work / "compiled" / "layer", bytecode="all")
    compiled_runtime = copy_code(runtime, work / "compiled" / "runtime", bytecode="all")
    fresh_layer = copy_code(layer, work / "fresh" / "layer", bytecode="hash-based")
    plain_layer = copy_code(layer, work / "fresh" / "layer-without-bytecode", bytecode="none")
    # The runtime's packages are part of Lambda's image, not of a zip: their bytecode is all valid.
    fresh_runtime = copy_code(runtime, work / "fresh" / "runtime", bytecode="all")
    cases: list[ColdCase] = []
    for subject in targets:
        compiled = copy_code(subject.code_dir, work / "compiled" / subject.key, bytecode="all")
        fresh = copy_code(
            subject.code_dir,
            work / "fresh" / subject.key,
            bytecode="none" if subject.baseline else "hash-based",
        )
        cases.append(ColdCase(subject, "compiled", subject.label, compiled, compiled_layer, compiled_runtime))
        cases.append(
            ColdCase(
                subject,
                "fresh",
                subject.label,
                fresh,
                plain_layer if subject.baseline else fresh_layer,
                fresh_runtime,
            )
        )
    tasks = next(case for case in cases if case.subject.key == "tasks" and case.mode == "compiled")
    cases.append(replace(tasks, mode="restore"))
    cases.append(
        replace(
            tasks,
            mode="restore",
            label=f"{tasks.label}, {EXTENSION_READER}",
            settings=tuple(sorted(extension.items())),
        )
    )
    straightforward = next(subject for subject in targets if subject.key == "straightforward")
    cases.append(
        ColdCase(
            straightforward,
            "fresh",
            f"{straightforward.label} on the project's layer build",
            work / "fresh" / straightforward.key,
            fresh_layer,
            fresh_runtime,
        )
    )
    return cases


def measure_cold(
    python: str,
    cases: list[ColdCase],
    specs: dict[str, Path],
    envs: dict[str, dict[str, dict[str, str]]],
    *,
    rounds: int,
    prefix: list[str],
) -> dict[str, dict[tuple[str, Mode], list[dict[str, Any]]]]:
    """Per network (``envs``' keys), each case's cold starts; a round starts every case on every network."""
    networks = list(envs)
    results: dict[str, dict[tuple[str, Mode], list[dict[str, Any]]]] = {
        name: {(case.label, case.mode): [] for case in cases} for name in networks
    }
    # Unmeasured first pass: writes the compiled copies' bytecode and brings every file into the page cache.
    for case in cases:
        run_cold(python, case, specs[case.subject.key], envs[networks[0]][case.subject.key], prefix=prefix)
    for number in range(rounds):
        for name in rotated(networks, number):
            for case in rotated(cases, number):
                outcome, _ = run_cold(
                    python, case, specs[case.subject.key], envs[name][case.subject.key], prefix=prefix
                )
                results[name][(case.label, case.mode)].append(outcome)
        print(f"cold round {number + 1}/{rounds} done", flush=True)
    return results


def import_profile(
    python: str, case: ColdCase, spec: Path, env: dict[str, str], *, prefix: list[str]
) -> dict[str, float]:
    """Milliseconds of import (self time) per top-level package over one cold start, from -X importtime."""
    _, stderr = run_cold(python, case, spec, env, prefix=prefix, import_time=True)
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            package = match.group(2).split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(match.group(1)) / 1000
    return totals


def measure_warm(
    python: str,
    work: Path,
    cases: list[ColdCase],
    specs: dict[str, Path],
    envs: dict[str, dict[str, dict[str, str]]],
    *,
    batch: int,
    profiled: int,
) -> tuple[dict[str, dict[tuple[str, str], WarmSamples]], dict[str, dict[str, float]]]:
    """Each function's routes in its own long-lived process (the compiled copies), one per network
    (``envs``' keys); the processes take turns.

    Afterwards, the first route of some of them under cProfile, on the first network: self time per
    package, ms per invocation."""
    compiled = [case for case in cases if case.mode == "compiled"]
    networks = list(envs)
    samples: dict[str, dict[tuple[str, str], WarmSamples]] = {
        name: {
            (case.subject.key, call.name): WarmSamples() for case in compiled for call in case.subject.calls
        }
        for name in networks
    }
    most = max(call.invocations for case in compiled for call in case.subject.calls)
    steps = max(1, math.ceil(most / batch))
    workers: list[tuple[str, WarmWorker]] = []
    try:
        # One at a time: their start-ups are not measured, but must not overlap steps.
        for name in networks:
            for case in compiled:
                worker = WarmWorker(
                    python,
                    case.subject,
                    case.code_dir,
                    case.layer,
                    case.runtime,
                    specs[case.subject.key],
                    envs[name][case.subject.key],
                    work / f"warm-{case.subject.key}-{name}.log",
                )
                workers.append((name, worker))
                worker.receive()  # "ready"
        for step in range(steps):
            for network_name, worker in rotated(workers, step):
                counts = {call.name: share(call.invocations, steps, step) for call in worker.subject.calls}
                counts = {name: count for name, count in counts.items() if count}
                if not counts:
                    continue
                for name, taken in worker.run(counts).items():
                    target = samples[network_name][(worker.subject.key, name)]
                    target.total += taken["total_ms"]
                    target.database += taken["database_ms"]
                    target.round_trips += taken["round_trips"]
                    target.step_medians[step] = stats.median(taken["total_ms"])
            if (step + 1) % max(1, steps // 5) == 0:
                print(f"warm step {step + 1}/{steps} done", flush=True)
        profiles = {
            worker.subject.key: worker.profile(profiled)
            for name, worker in workers
            if name == networks[0] and worker.subject.key in WARM_PROFILED
        }
    finally:
        for _, worker in workers:
            worker.close()
    return samples, profiles


def bcrypt_costs() -> dict[int, float]:
    """Median milliseconds of one bcrypt check per cost, in this process (the same bcrypt as the layer's)."""
    timings: dict[int, float] = {}
    for cost in BCRYPT_COSTS:
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(cost))
        samples = []
        for _ in range(BCRYPT_SAMPLES):
            begun = time.perf_counter()
            bcrypt.checkpw(PASSWORD.encode(), hashed)
            samples.append((time.perf_counter() - begun) * 1000)
        timings[cost] = stats.median(samples)
    return timings


@contextmanager
def read_only(roots: list[Path]) -> Iterator[dict[Path, dict[str, tuple[int, int]]]]:
    """The trees read-only while the body runs; yields their snapshots taken before, to compare after."""
    before = {root: tree_snapshot(root) for root in roots}
    for root in roots:
        set_writable(root, writable=False)
    try:
        yield before
    finally:
        for root in roots:
            set_writable(root, writable=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15, help="cold starts per target and mode")
    parser.add_argument("--warm", type=int, default=300, help="warm invocations per route")
    parser.add_argument("--login", type=int, default=20, help="warm logins (each one bcrypt check)")
    parser.add_argument("--batch", type=int, default=10, help="invocations per route per worker turn")
    parser.add_argument(
        "--network",
        type=network.parse_networks,
        default=network.parse_networks(DEFAULT_NETWORKS),
        help=f"networks to PgBouncer, comma-separated: loopback, or a round trip such as 1ms or 10ms "
        f"(default {DEFAULT_NETWORKS})",
    )
    parser.add_argument("--calibration", type=int, default=300, help="SELECT 1 samples per relay calibrated")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    # Loopback first when measured: the profiles and the main tables are its figures.
    networks: list[network.Network] = sorted(args.network, key=lambda item: item.rtt_ms is not None)
    begun = time.monotonic()
    load_before = os.getloadavg()
    python = find_python()
    built = build_dir()
    runtime = runtime_standin(python)  # boto3 as Lambda's /var/runtime has it
    prefix = read_only_prefix()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with (
            postgres.fresh_database() as database,
            postgres.running_pgbouncer(work / "pgbouncer") as bouncer,
            ExitStack() as relays,
        ):
            # One relay process per round trip, started before anything is measured, used by every row.
            relay_ports = {
                item.name: relays.enter_context(network.running_relay(bouncer.port, item.rtt_ms))
                for item in networks
                if item.rtt_ms is not None
            }
            database_urls = {
                item.name: bouncer.url(database)
                if item.rtt_ms is None
                else f"postgresql://{postgres.POSTGRES_USER}@127.0.0.1:{relay_ports[item.name]}/{database}"
                for item in networks
            }
            migrate(postgres.direct_url(database))
            cost = production_bcrypt_rounds(postgres.direct_url(database))
            seed_data = seed(database, hash_password(PASSWORD, cost))
            versions_servers = server_versions(database)
            targets = subjects(built, seed_data, warm=args.warm, login=min(args.login, args.warm))
            calibration = calibrate_relays(bouncer.port, database, relay_ports, samples=args.calibration)
            server, aws_envs, aws_options = start_moto(database_urls)
            import boto3

            standin = relays.enter_context(
                extension_standin(
                    secretsmanager=boto3.client("secretsmanager", **aws_options),
                    ssm=boto3.client("ssm", **aws_options),
                    token=EXTENSION_TOKEN,
                )
            )
            extension = {
                "SECRETS_READER": "extension",
                "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(standin.port),
                "AWS_SESSION_TOKEN": EXTENSION_TOKEN,
            }
            try:
                specs = {subject.key: write_spec(work, subject) for subject in targets}
                envs = {
                    name: {
                        subject.key: lambda_environment(subject.key, {**BENCH_SETTINGS, **aws_env})
                        for subject in targets
                    }
                    for name, aws_env in aws_envs.items()
                }
                primary = networks[0].name
                cases = cold_cases(work, built, runtime, targets, extension=extension)
                fresh_roots = sorted((work / "fresh").iterdir())
                with read_only(fresh_roots) as before:
                    cold = measure_cold(python, cases, specs, envs, rounds=args.rounds, prefix=prefix)
                    unchanged = all(tree_snapshot(root) == before[root] for root in fresh_roots)
                    files = sum(len(snapshot) for snapshot in before.values())
                if not unchanged:
                    raise RuntimeError("a fresh, read-only code directory changed during the cold starts")
                profiles = {
                    case.subject.key: import_profile(
                        python, case, specs[case.subject.key], envs[primary][case.subject.key], prefix=prefix
                    )
                    for case in cases
                    if case.mode == "compiled" and case.subject.key in ("tasks", "straightforward")
                }
                warm, warm_profiles = measure_warm(
                    python,
                    work,
                    cases,
                    specs,
                    envs,
                    batch=args.batch,
                    profiled=min(args.warm, PROFILED_INVOCATIONS),
                )
            finally:
                server.stop()
        costs = bcrypt_costs()
        layer = built / "SharedLayer" / "python"
        inputs = report.Inputs(
            arguments=args,
            python=python,
            python_version=subprocess.run(
                [python, "-c", "import sys; print(sys.version)"], capture_output=True, text=True, check=True
            ).stdout.strip(),
            built=built,
            subjects=targets,
            cold_cases=cases,
            cold=cold[primary],
            read_only_files=files,
            profiles=profiles,
            warm=warm[primary],
            warm_profiles=warm_profiles,
            networks=networks,
            network_cold=cold,
            network_warm=warm,
            calibration=calibration,
            bcrypt_rounds=cost,
            bcrypt_costs=costs,
            bcrypt_version=importlib.metadata.version("bcrypt"),
            versions=distribution_versions(layer),
            runtime_versions=distribution_versions(runtime),
            postgresql=versions_servers[0],
            pgbouncer=versions_servers[1],
            sizes={name: tree_size(built / name) for name in ("SharedLayer", *FUNCTIONS)},
            load=(load_before, os.getloadavg()),
            minutes=(time.monotonic() - begun) / 60,
        )
        text = report.render(inputs)
        args.output.write_text(text)
        print(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
