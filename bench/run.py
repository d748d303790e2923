"""The benchmark: cold starts, warm requests, round trips and sizes, beside two baselines, in one run.

    .venv/bin/python -m bench.run [--rounds 15] [--warm 300] [--output docs/performance.md]

Needs: the SAM builds (``scripts/sam-check --build-only``, run here if missing), PostgreSQL on 127.0.0.1 and
the pgbouncer binary. Starts a moto server to answer the Secrets Manager / SSM look-ups, a fresh database
with one user and 20 tasks, and PgBouncer in transaction mode in front of it.

Every measured process is a fresh ``python3.13 -I -S`` whose path holds only the function's directory, the
layer's ``python/`` and a ``runtime/`` folder with boto3 (as Lambda's /var/task, /opt/python, /var/runtime).
Cold starts are interleaved across targets round by round; figures are median and p99.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pg8000.native

from devtools.lambda_events import http_api_event
from devtools.migrate import migrate
from devtools.net import free_port
from devtools.paths import ROOT
from devtools.template import Route
from tests.support import postgres
from todo_shared.tokens import issue_token

BENCH_DIR = ROOT / "bench"
STATE_DIR = ROOT / ".bench"
WORKER = BENCH_DIR / "coldstart_worker.py"
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (a throwaway key)
BOTO3_PIN = "boto3==1.44.8"  # the Lambda runtime ships boto3; the bench provides it the same way


@dataclass(frozen=True)
class Target:
    name: str
    code_dir: Path
    route: Route
    path: str
    is_baseline: bool = False


def _stats(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{statistics.median(ordered):.1f} / {p99:.1f}"


def _stats_fine(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{statistics.median(ordered):.3f} / {p99:.3f}"


def build_dir() -> Path:
    machine = platform.machine()
    directory = ROOT / (".aws-sam/build" if machine in ("aarch64", "arm64") else ".aws-sam/build-x86_64")
    if not directory.is_dir():
        subprocess.run([str(ROOT / "scripts/sam-check"), "--build-only"], check=True, cwd=ROOT)
    return directory


def runtime_dir(python: str) -> Path:
    target = STATE_DIR / "runtime"
    stamp = target / ".pin"
    if not stamp.is_file() or stamp.read_text() != BOTO3_PIN:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(target),
                BOTO3_PIN,
            ],
            check=True,
        )
        stamp.write_text(BOTO3_PIN)
    return target


def tree_size(path: Path) -> tuple[int, int]:
    """Unzipped bytes and zipped (deflate) bytes of a directory, as Lambda counts them."""
    files = [item for item in path.rglob("*") if item.is_file()]
    unzipped = sum(item.stat().st_size for item in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in files:
                archive.write(item, item.relative_to(path))
        zipped = handle.tell()
    return unzipped, zipped


def seed(database: str) -> str:
    """One user with 20 tasks; returns the user id."""
    connection = pg8000.native.Connection(
        postgres.POSTGRES_USER, host=postgres.POSTGRES_HOST, port=postgres.POSTGRES_PORT, database=database
    )
    user_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    connection.run(
        "INSERT INTO users (id, email, name, created_at, updated_at) VALUES (:i, :e, 'Bench', :n, :n)",
        i=user_id,
        e=f"bench-{user_id[:8]}@example.com",
        n=now,
    )
    for index in range(20):
        connection.run(
            "INSERT INTO tasks (user_id, title, description, completed, priority, created_at, updated_at) "
            "VALUES (:u, :t, :d, false, 'medium', :n, :n)",
            u=user_id,
            t=f"Task {index}",
            d="Something to do",
            n=now,
        )
    connection.close()
    return user_id


def start_moto(database_url: str) -> tuple[Any, dict[str, str]]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import boto3

    endpoint = f"http://127.0.0.1:{port}"
    options = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    arn = boto3.client("secretsmanager", **options).create_secret(Name="bench/db", SecretString=database_url)[
        "ARN"
    ]
    boto3.client("ssm", **options).put_parameter(Name="/bench/auth-secret", Value=SECRET, Type="SecureString")
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "DATABASE_URL_REF": arn,
        "BETTER_AUTH_SECRET_REF": "ssm:/bench/auth-secret",
        "BETTER_AUTH_SECRET_PATH": "/bench/auth-secret",
    }
    return server, env


def lambda_env(extra: dict[str, str], name: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_FUNCTION_NAME": f"{name}-function",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "ENVIRONMENT": "production",
        "POWERTOOLS_SERVICE_NAME": name,
        "POWERTOOLS_METRICS_NAMESPACE": "TodoApiBench",
        # X-Ray needs the Lambda runtime's daemon and trace header; its cost is not measured here.
        "POWERTOOLS_TRACE_DISABLED": "true",
        **extra,
    }


def run_worker(
    python: str,
    mode: str,
    target: Target,
    layer: Path,
    runtime: Path,
    event: Path,
    env: dict[str, str],
    *,
    rounds: int = 0,
    write_bytecode: bool = True,
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        flags = ["-I", "-S"] + ([] if write_bytecode else ["-B"])
        arguments = [
            mode,
            str(target.code_dir),
            str(layer),
            str(runtime),
            str(event),
            result.name,
            str(rounds),
        ]
        begun = time.perf_counter()
        completed = subprocess.run(
            [python, *flags, str(WORKER), *arguments],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        wall = (time.perf_counter() - begun) * 1000
        if completed.returncode != 0:
            raise RuntimeError(f"{target.name} ({mode}) failed:\n{completed.stderr[-3000:]}")
        data: dict[str, Any] = json.loads(Path(result.name).read_text())
    data["wall_ms"] = wall
    return data


def copy_code(source: Path, destination: Path, *, keep_bytecode: bool) -> Path:
    ignore = None if keep_bytecode else shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source, destination, ignore=ignore)
    return destination


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=15, help="cold starts per target and mode")
    parser.add_argument("--warm", type=int, default=300, help="warm invocations per target")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args()
    python = subprocess.run(
        [str(ROOT / "scripts/find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()
    built = build_dir()
    runtime = runtime_dir(python)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    list_route = Route("GET", "/api/tasks", "tasks")
    targets = [
        Target("tasks", built / "TasksFunction", list_route, "/api/tasks"),
        Target("auth", built / "AuthFunction", Route("GET", "/api/auth/verify", "auth"), "/api/auth/verify"),
        Target("health", built / "HealthFunction", Route("GET", "/health", "health"), "/health"),
        Target("floor (pg8000)", BENCH_DIR / "baselines" / "floor", list_route, "/api/tasks", True),
        Target(
            "straightforward (FastAPI+SQLModel)",
            BENCH_DIR / "baselines" / "naive",
            list_route,
            "/api/tasks",
            True,
        ),
    ]
    results: dict[str, dict[str, list[dict[str, Any]]]] = {
        t.name: {"compiled": [], "fresh": []} for t in targets
    }
    warm: dict[str, dict[str, Any]] = {}
    with (
        postgres.fresh_database() as database,
        postgres.running_pgbouncer(work / "pgbouncer") as bouncer,
    ):
        migrate(postgres.direct_url(database))
        user_id = seed(database)
        token = issue_token(
            user_id=user_id, email="bench@example.com", secret=SECRET, expires_minutes=120
        ).token
        server, aws_env = start_moto(bouncer.url(database))
        try:
            events: dict[str, Path] = {}
            for target in targets:
                event = http_api_event(
                    method="GET",
                    path=target.path,
                    route=target.route,
                    headers=[("authorization", f"Bearer {token}"), ("accept", "application/json")],
                )
                events[target.name] = work / f"{target.name.split()[0]}.json"
                events[target.name].write_text(json.dumps(event))
            layer = built / "SharedLayer" / "python"
            # "compiled": bytecode present (written by a first run); "fresh": the artifacts exactly as built,
            # nothing compiled unless the build shipped it, and nothing can be written (-B), as on Lambda.
            compiled_layer = copy_code(layer, work / "compiled" / "layer", keep_bytecode=True)
            fresh_layer = copy_code(layer, work / "fresh" / "layer", keep_bytecode=True)
            dirs: dict[tuple[str, str], Path] = {}
            for target in targets:
                slug = target.name.split()[0]
                dirs[(target.name, "compiled")] = copy_code(
                    target.code_dir, work / "compiled" / slug, keep_bytecode=True
                )
                dirs[(target.name, "fresh")] = copy_code(
                    target.code_dir, work / "fresh" / slug, keep_bytecode=not target.is_baseline
                )
            for target in targets:  # first run writes bytecode into the "compiled" copies
                env = lambda_env(aws_env, target.name.split()[0])
                code = Target(target.name, dirs[(target.name, "compiled")], target.route, target.path)
                run_worker(python, "cold", code, compiled_layer, runtime, events[target.name], env)
            for _ in range(args.rounds):
                for mode, layer_dir, write in (
                    ("compiled", compiled_layer, True),
                    ("fresh", fresh_layer, False),
                ):
                    for target in targets:
                        env = lambda_env(aws_env, target.name.split()[0])
                        code = Target(target.name, dirs[(target.name, mode)], target.route, target.path)
                        outcome = run_worker(
                            python,
                            "cold",
                            code,
                            layer_dir,
                            runtime,
                            events[target.name],
                            env,
                            write_bytecode=write,
                        )
                        if outcome["status"] != 200:
                            raise RuntimeError(f"{target.name}: status {outcome['status']}")
                        results[target.name][mode].append(outcome)
            for target in targets:
                env = lambda_env(aws_env, target.name.split()[0])
                code = Target(target.name, dirs[(target.name, "compiled")], target.route, target.path)
                warm[target.name] = run_worker(
                    python, "warm", code, compiled_layer, runtime, events[target.name], env, rounds=args.warm
                )
        finally:
            server.stop()
    report = render(args, python, built, targets, results, warm)
    args.output.write_text(report)
    print(report)
    shutil.rmtree(work, ignore_errors=True)
    return 0


def render(
    args: argparse.Namespace,
    python: str,
    built: Path,
    targets: list[Target],
    results: dict[str, dict[str, list[dict[str, Any]]]],
    warm: dict[str, dict[str, Any]],
) -> str:
    version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    lines = [
        "# Performance",
        "",
        f"Written by `.venv/bin/python -m bench.run --rounds {args.rounds} --warm {args.warm}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; {version}; "
        "PostgreSQL and PgBouncer (transaction mode) on loopback; secrets answered by a local moto server.",
        "",
        "## Cold start (fresh interpreter → first response), ms, median / p99",
        "",
        "| target | compiled: wall | compiled: import | compiled: first request | fresh read-only: wall |"
        " fresh: import | fresh: first request |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for target in targets:
        compiled, fresh = results[target.name]["compiled"], results[target.name]["fresh"]
        lines.append(
            f"| {target.name} | {_stats([r['wall_ms'] for r in compiled])} | {_stats([r['import_ms'] for r in compiled])}"
            f" | {_stats([r['first_request_ms'] for r in compiled])} | {_stats([r['wall_ms'] for r in fresh])}"
            f" | {_stats([r['import_ms'] for r in fresh])} | {_stats([r['first_request_ms'] for r in fresh])} |"
        )
    lines += [
        "",
        "## Warm invocation through the handler, ms, median / p99",
        "",
        "| target | total | database (waiting for PostgreSQL) | not database | round trips |",
        "|---|---:|---:|---:|---:|",
    ]
    for target in targets:
        data = warm[target.name]
        total, database = data["warm_ms"], data["database_ms"]
        other = [t - d for t, d in zip(total, database, strict=True)]
        trips = sorted(set(data["round_trips"]))
        lines.append(
            f"| {target.name} | {_stats_fine(total)} | {_stats_fine(database)} | {_stats_fine(other)} |"
            f" {', '.join(map(str, trips))} |"
        )
    lines += ["", "## Sizes", "", "| artifact | unzipped MB | zipped MB |", "|---|---:|---:|"]
    for name in ["SharedLayer", *(t.code_dir.name for t in targets if not t.is_baseline)]:
        unzipped, zipped = tree_size(built / name)
        lines.append(f"| {name} | {unzipped / 1e6:.1f} | {zipped / 1e6:.1f} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
