"""Lambda containers under load and faults, simulated on one machine.

    .venv/bin/python -m bench.scale [--containers 24] [--seconds 20] [--pool 4] [--rtt-ms 1] [--faults]
    .venv/bin/python -m bench.scale --held [--requests 200]      # held time per request at N = 1, per route
    ... --write-docs                                              # the figures into docs/reliability.md

Each container is a process that imports the real tasks function (``functions/tasks/app.py``'s ``handler``,
through devtools' Lambda transport) and keeps its own database connection, as a Lambda container does. They reach
a real PgBouncer (transaction mode, a small pool, ``server_login_retry`` 1 s) through the loopback delay relay
(``bench.netdelay``, ``--rtt-ms`` each round trip), in front of a private PostgreSQL cluster that may be
restarted (devtools/private_postgres.py: the machine's shared server is never touched). Each container uses one
frontend user of its own and repeats: list (50%), create with an ``Idempotency-Key`` (30%; a 503 or 409 is
retried with the same key), read (20%). Bounded in time and count, loopback only; it stops by itself.

``--faults`` restarts PgBouncer a quarter of the way in, and halfway stops PostgreSQL for four times the
request deadline (requests queued in PgBouncer meanwhile must end at their deadline) before starting it again. What is checked
(``Run.problems``): no 500 or other unexpected status, every answer within the request deadline plus a margin,
every acknowledged create in the database exactly once, and every container answering again after the faults.
Figures: throughput, p50/p99 per operation, PgBouncer's pool waits and held time (``SHOW STATS``: the time a
server connection is given to a client's transactions, and the time clients wait for one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pg8000.native

from bench import stats
from bench.network import running_relay
from devtools import postgres, private_postgres
from devtools.migrate import migrate
from devtools.paths import ROOT

DOCS = ROOT / "docs" / "reliability.md"
STATS_USER = "pgbouncer_stats"
FUNCTION_TIMEOUT_SECONDS = 15.0  # template.yaml's Globals
# Allowed past the deadline for an answer: building the 503, process scheduling on a loaded 2-core machine.
ANSWER_MARGIN_SECONDS = 3.0
# A create answered 503 or 409 is sent again with its key, after this pause, for at most this long.
RETRY_PAUSE_SECONDS = 0.2
RETRY_FOR_SECONDS = 30.0
RECOVERY_SECONDS = 30.0
EXPECTED = {"list": {200, 503}, "read": {200, 503}, "create": {201, 409, 503}}
# A 503 may only say that the database could not serve in time (a fault, a full pool), never anything else.
EXPECTED_503_CODES = frozenset(
    {
        "database_unavailable",
        "database_unreachable",
        "database_deadline_exceeded",
        "database_statement_timeout",
    }
)
OPERATIONS = (("list", 0.5), ("create", 0.3), ("read", 0.2))


# --- The stack: private PostgreSQL, PgBouncer, the delay relay --------------------------------------------------


@dataclass
class Stack:
    cluster: private_postgres.PrivatePostgres
    bouncer: postgres.PgBouncer
    relay_port: int
    password: str

    @property
    def url(self) -> str:
        """What the containers use: through the relay, then PgBouncer."""
        role, database = private_postgres.APP_ROLE, private_postgres.APP_DATABASE
        return f"postgresql://{role}:{self.password}@127.0.0.1:{self.relay_port}/{database}"

    def pool_stats(self) -> dict[str, int]:
        """PgBouncer's totals for the app's database since it started (microseconds and counts)."""
        console = pg8000.native.Connection(
            STATS_USER, host="127.0.0.1", port=self.bouncer.port, database="pgbouncer", timeout=10
        )
        try:
            context = console.execute_simple("SHOW STATS")
            names = [column["name"] for column in context.columns]
            for row in context.rows:
                values = dict(zip(names, row, strict=True))
                if values["database"] == private_postgres.APP_DATABASE:
                    return {name: int(value) for name, value in values.items() if name.startswith("total_")}
        finally:
            console.close()
        return {}


@contextmanager
def running_stack(*, pool: int, rtt_ms: float) -> Iterator[Stack]:
    password = f"scale-{secrets.token_hex(12)}"
    with private_postgres.running_private_postgres(password) as cluster:
        migrate(cluster.url())
        with (
            postgres.running_pgbouncer(
                Path(tempfile.mkdtemp(prefix="scale-pgbouncer-")),
                server_host="127.0.0.1",
                server_port=cluster.port,
                users={private_postgres.APP_ROLE: password, STATS_USER: ""},
                settings={
                    "default_pool_size": str(pool),
                    "max_client_conn": "2000",
                    "server_login_retry": "1",
                    "stats_users": STATS_USER,
                },
            ) as bouncer,
            running_relay(bouncer.port, rtt_ms) as relay_port,
        ):
            # --rtt-ms 0: straight to PgBouncer (the relay's own work would only add noise)
            yield Stack(cluster, bouncer, relay_port if rtt_ms > 0 else bouncer.port, password)


def container_env(stack: Stack, *, secret: str, deadline_seconds: float) -> dict[str, str]:
    """A Lambda container's settings: production, the database through the relay."""
    # Nothing of the caller's settings (a test run's, say) leaks in: only what a process needs to run.
    inherited = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {
        **inherited,
        "ENVIRONMENT": "production",
        "DATABASE_URL": stack.url,
        "BETTER_AUTH_SECRET": secret,
        "REQUEST_DEADLINE_SECONDS": str(deadline_seconds),
        "DATABASE_TIMEOUT_SECONDS": "10",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "shared"), str(ROOT)]),
    }


def frontend_token(secret: str, sub: str) -> str:
    """What a frontend signs for its user (HS256 with the shared secret, 7 days)."""
    import jwt

    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 7 * 24 * 3600}, secret, algorithm="HS256")


# --- One container (a process of its own) ----------------------------------------------------------------------


def container_main(config: dict[str, Any]) -> None:
    """Runs in the container's process: one JSON line per answer on stdout, then the recovery's."""
    import httpx

    from devtools.lambda_kit.transport import LambdaTransport

    def emit(record: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(record) + "\n")

    transport = LambdaTransport(timeout_seconds=FUNCTION_TIMEOUT_SECONDS)
    token = frontend_token(config["secret"], config["sub"])
    auth = {"authorization": f"Bearer {token}"}
    rng = random.Random(config["seed"])
    with httpx.Client(transport=transport, base_url="https://api.example.com", headers=auth) as client:
        transport.handler_for("tasks")  # the import a cold start pays, before the clock starts
        emit({"ready": True})
        sys.stdout.flush()
        sys.stdin.readline()  # "go"
        ends = time.monotonic() + config["seconds"]
        known: list[int] = []
        count = 0

        def timed(operation: str, method: str, path: str, **options: Any) -> httpx.Response:
            started = time.monotonic()
            response = client.request(method, path, **options)
            record: dict[str, Any] = {
                "op": operation,
                "status": response.status_code,
                "ms": round((time.monotonic() - started) * 1000, 3),
            }
            if response.status_code >= 400:
                record["code"] = response.json().get("code")
            emit(record)
            return response

        while time.monotonic() < ends and count < config["max_requests"]:
            operation = stats.weighted_pick(rng, OPERATIONS)
            if operation == "read" and not known:
                operation = "list"
            count += 1
            if operation == "list":
                timed("list", "GET", "/api/tasks", params={"limit": 20})
            elif operation == "read":
                timed("read", "GET", f"/api/tasks/{rng.choice(known)}")
            else:
                key = str(uuid.uuid4())
                give_up = time.monotonic() + RETRY_FOR_SECONDS
                while True:
                    headers = {"idempotency-key": key}
                    response = timed("create", "POST", "/api/tasks", json={"title": key}, headers=headers)
                    if response.status_code == 201:
                        known.append(response.json()["id"])
                        emit({"ack": key, "id": response.json()["id"]})
                        break
                    if response.status_code not in (409, 503) or time.monotonic() > give_up:
                        emit({"unacknowledged": key})
                        break
                    time.sleep(RETRY_PAUSE_SECONDS)
        emit({"window": round(time.monotonic() - (ends - config["seconds"]), 3)})
        started = time.monotonic()
        recovered = None
        while time.monotonic() - started < RECOVERY_SECONDS:
            if timed("list", "GET", "/api/tasks", params={"limit": 1}).status_code == 200:
                recovered = round(time.monotonic() - started, 3)
                break
            time.sleep(0.2)
        emit({"recovered": recovered})


# --- The run -------------------------------------------------------------------------------------------------


@dataclass
class Run:
    containers: int
    seconds: float
    pool: int
    rtt_ms: float
    deadline_seconds: float
    faults: bool
    window: float = 0.0  # the longest a container spent on its requests (start-up and recovery excluded)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    acknowledged: dict[str, int] = field(default_factory=dict)
    unacknowledged: list[str] = field(default_factory=list)
    recovered: list[float | None] = field(default_factory=list)
    pool_stats: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def read(self, container: int, output: str) -> None:
        for line in output.splitlines():
            record = json.loads(line)
            if "op" in record:
                operation, status = record["op"], record["status"]
                self.latencies[operation].append(record["ms"])
                label = str(status) if status < 400 else f"{status} {record.get('code')}"
                self.statuses[operation][label] += 1
                if status not in EXPECTED[operation] or (
                    status == 503 and record.get("code") not in EXPECTED_503_CODES
                ):
                    self.problems.append(f"container {container}: {operation} answered {label}")
                if record["ms"] > (self.deadline_seconds + ANSWER_MARGIN_SECONDS) * 1000:
                    self.problems.append(f"container {container}: {operation} took {record['ms']:.0f} ms")
            elif "ack" in record:
                self.acknowledged[record["ack"]] = record["id"]
            elif "unacknowledged" in record:
                self.unacknowledged.append(record["unacknowledged"])
            elif "window" in record:
                self.window = max(self.window, record["window"])
            elif "recovered" in record:
                self.recovered.append(record["recovered"])
                if record["recovered"] is None:
                    self.problems.append(
                        f"container {container}: no 200 within {RECOVERY_SECONDS:.0f} s at the end"
                    )

    def check_database(self, stack: Stack) -> None:
        """Every acknowledged create once, with the acknowledged id; no title (each a key) twice."""
        admin = stack.cluster.admin(private_postgres.APP_DATABASE)
        try:
            rows = admin.run("SELECT title, count(*), min(id) FROM tasks GROUP BY title")
        finally:
            admin.close()
        stored = {str(title): (int(count), int(first)) for title, count, first in rows}
        for key, task_id in self.acknowledged.items():
            if stored.get(key) != (1, task_id):
                self.problems.append(f"acknowledged create {key} (id {task_id}) stored as {stored.get(key)}")
        doubled = [title for title, (count, _) in stored.items() if count > 1]
        if doubled:
            self.problems.append(f"{len(doubled)} keys created more than once")

    def report(self) -> dict[str, Any]:
        xacts = self.pool_stats.get("total_xact_count", 0)
        return {
            "containers": self.containers,
            "run_seconds": self.seconds,
            "seconds": round(self.window, 1),
            "pool_size": self.pool,
            "rtt_ms": self.rtt_ms,
            "deadline_s": self.deadline_seconds,
            "faults": self.faults,
            "requests": self.requests,
            "throughput_rps": round(self.requests / self.window, 1) if self.window else 0.0,
            "operations": {
                name: {
                    "count": len(values),
                    "p50_ms": round(stats.median(values), 1),
                    "p99_ms": round(stats.p99(values), 1),
                    "statuses": dict(self.statuses[name]),
                }
                for name, values in sorted(self.latencies.items())
            },
            "acknowledged_creates": len(self.acknowledged),
            "unacknowledged_creates": len(self.unacknowledged),
            "slowest_recovery_s": max((value for value in self.recovered if value is not None), default=None),
            "held_ms_per_transaction": (
                round(self.pool_stats["total_xact_time"] / xacts / 1000, 3) if xacts else None
            ),
            "pool_wait_ms_total": round(self.pool_stats.get("total_wait_time", 0) / 1000, 1),
            "pool_wait_ms_per_transaction": (
                round(self.pool_stats["total_wait_time"] / xacts / 1000, 3) if xacts else None
            ),
            "transactions": xacts,
            "problems": self.problems or "none",
        }


def _start_containers(stack: Stack, run: Run, secret: str) -> list[subprocess.Popen[str]]:
    env = container_env(stack, secret=secret, deadline_seconds=run.deadline_seconds)
    processes = []
    for index in range(run.containers):
        config = {
            "secret": secret,
            "sub": f"scale{index}{uuid.uuid4().hex[:12]}",
            "seed": index,
            "seconds": run.seconds,
            "max_requests": 50_000,
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.scale", "--container", json.dumps(config)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for process in processes:  # each has imported the handler
        assert process.stdout is not None
        line = process.stdout.readline()
        if '"ready"' not in line:
            raise RuntimeError(f"a container did not start: {line!r}")
    return processes


def _faults(stack: Stack, seconds: float, outage: float, log: list[str]) -> None:
    time.sleep(seconds / 4)
    stack.bouncer.restart()
    log.append("PgBouncer restarted")
    time.sleep(seconds / 4)
    stack.cluster.stop("fast")
    time.sleep(outage)
    stack.cluster.start()
    log.append(f"PostgreSQL stopped for {outage:g} s and started")


def run_containers(
    *, containers: int, seconds: float, pool: int, rtt_ms: float, deadline_seconds: float, faults: bool
) -> Run:
    run = Run(containers, seconds, pool, rtt_ms, deadline_seconds, faults)
    secret = secrets.token_urlsafe(48)
    with running_stack(pool=pool, rtt_ms=rtt_ms) as stack:
        processes = _start_containers(stack, run, secret)
        before = stack.pool_stats()
        fault_log: list[str] = []
        outage = 4 * deadline_seconds
        chaos = threading.Thread(target=_faults, args=(stack, seconds, outage, fault_log)) if faults else None
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        if chaos is not None:
            chaos.start()
        outputs = []
        for process in processes:
            out, _ = process.communicate(timeout=seconds + RETRY_FOR_SECONDS + RECOVERY_SECONDS + 60)
            outputs.append(out)
        if chaos is not None:
            chaos.join()
        if not faults:  # a restarted PgBouncer starts its counts again
            after = stack.pool_stats()
            run.pool_stats = {name: after[name] - before.get(name, 0) for name in after}
        for index, (process, output) in enumerate(zip(processes, outputs, strict=True)):
            run.read(index, output)
            if process.returncode != 0:
                run.problems.append(f"container {index} exited with {process.returncode}")
        run.check_database(stack)
    return run


# --- Held time per request at N = 1 --------------------------------------------------------------------------

HELD_ROUTES = ("GET /api/tasks", "GET /api/tasks/{id}", "POST /api/tasks", "PATCH /api/tasks/{id}/complete")


class HeldClock:
    """Times each transaction in the driver, from the flight that carries its BEGIN to its COMMIT's answer or its
    ROLLBACK's sending: wall time, and this process's CPU time within it (the Python work done while the server
    connection is held, which other load on the machine does not inflate)."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._open: tuple[float, float] | None = None

    def install(self) -> None:
        from todo_shared.thirdparty.pg8000 import PipelinedConnection

        clock = self
        for name in ("execute_unnamed", "execute_simple"):
            original = getattr(PipelinedConnection, name)

            def starting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                if self._begin_pending and clock._open is None:
                    clock._open = (time.perf_counter(), time.process_time())
                return _original(self, *args, **kwargs)

            setattr(PipelinedConnection, name, starting)
        for name in ("commit", "rollback"):
            original = getattr(PipelinedConnection, name)

            def ending(self: Any, _original: Any = original) -> Any:
                result = _original(self)
                if clock._open is not None:
                    wall, cpu = clock._open
                    clock.wall.append((time.perf_counter() - wall) * 1000)
                    clock.cpu.append((time.process_time() - cpu) * 1000)
                    clock._open = None
                return result

            setattr(PipelinedConnection, name, ending)

    def take(self) -> tuple[list[float], list[float]]:
        taken = (self.wall, self.cpu)
        self.wall, self.cpu = [], []
        return taken


def held_per_route(*, requests: int, rtt_ms: float) -> dict[str, dict[str, float]]:
    """One container in this process, each route ``requests`` times in turn: the held time per transaction as
    PgBouncer counts it (``total_xact_time / total_xact_count``) and as the driver does (``HeldClock``), and the
    request's own time; medians per route but PgBouncer's, an average."""
    import httpx

    from devtools.lambda_kit.transport import LambdaTransport
    from todo_shared.config.settings import get_settings
    from todo_shared.db.engine import reset_engine

    secret = secrets.token_urlsafe(48)
    figures: dict[str, dict[str, float]] = {}
    with running_stack(pool=2, rtt_ms=rtt_ms) as stack:
        saved = dict(os.environ)
        os.environ.update(container_env(stack, secret=secret, deadline_seconds=10.0))
        get_settings.cache_clear()
        reset_engine()
        clock = HeldClock()
        clock.install()
        try:
            auth = {"authorization": f"Bearer {frontend_token(secret, uuid.uuid4().hex)}"}
            with httpx.Client(
                transport=LambdaTransport(), base_url="https://api.example.com", headers=auth
            ) as api:
                for number in range(20):
                    api.post("/api/tasks", json={"title": f"task {number}"})
                task_id = api.get("/api/tasks").json()["tasks"][0]["id"]
                calls = {
                    "GET /api/tasks": lambda: api.get("/api/tasks", params={"limit": 20}),
                    "GET /api/tasks/{id}": lambda: api.get(f"/api/tasks/{task_id}"),
                    "POST /api/tasks": lambda: api.post("/api/tasks", json={"title": "held"}),
                    "PATCH /api/tasks/{id}/complete": lambda: api.patch(f"/api/tasks/{task_id}/complete"),
                }
                for route in HELD_ROUTES:
                    calls[route]()  # warm
                    before = stack.pool_stats()
                    clock.take()
                    took = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        response = calls[route]()
                        took.append((time.perf_counter() - started) * 1000)
                        assert response.status_code < 300, response.text
                    time.sleep(0.2)  # the last ROLLBACK (not waited for) reaches PgBouncer
                    after = stack.pool_stats()
                    xacts = after["total_xact_count"] - before["total_xact_count"]
                    held = (after["total_xact_time"] - before["total_xact_time"]) / max(xacts, 1) / 1000
                    wall, cpu = clock.take()
                    figures[route] = {
                        "held_ms": round(held, 3),
                        "held_in_driver_ms": round(stats.median(wall), 3),
                        "cpu_while_held_ms": round(stats.median(cpu), 3),
                        "request_ms": round(stats.median(took), 3),
                        "transactions_per_request": round(xacts / requests, 2),
                    }
        finally:
            os.environ.clear()
            os.environ.update(saved)
            get_settings.cache_clear()
            reset_engine()
    return figures


# --- Figures into docs/reliability.md -------------------------------------------------------------------------

SCALE_MARKS = ("<!-- bench.scale: begin -->", "<!-- bench.scale: end -->")
HELD_MARKS = ("<!-- bench.scale held: begin -->", "<!-- bench.scale held: end -->")


def scale_table(report: dict[str, Any]) -> str:
    lines = [
        f"`python -m bench.scale --containers {report['containers']} --seconds {report['run_seconds']:g} "
        f"--pool {report['pool_size']} --rtt-ms {report['rtt_ms']:g}` "
        f"({report['requests']} requests in {report['seconds']} s, {report['throughput_rps']} requests/s; "
        f"deadline {report['deadline_s']:g} s; problems: {report['problems']}):",
        "",
        "| operation | count | p50 ms | p99 ms | answers |",
        "|---|---:|---:|---:|---|",
    ]
    for name, figures in report["operations"].items():
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(figures["statuses"].items()))
        lines.append(
            f"| {name} | {figures['count']} | {figures['p50_ms']} | {figures['p99_ms']} | {answers} |"
        )
    lines += [
        "",
        f"PgBouncer ({report['pool_size']} server connections): {report['transactions']} transactions, each held "
        f"{report['held_ms_per_transaction']} ms on average; a client waited {report['pool_wait_ms_per_transaction']}"
        f" ms per transaction on average for a server connection ({report['pool_wait_ms_total'] / 1000:.1f} s in all).",
    ]
    return "\n".join(lines)


def held_table(figures: dict[str, dict[str, float]], rtt_ms: float, requests: int) -> str:
    lines = [
        f"`python -m bench.scale --held --requests {requests} --rtt-ms {rtt_ms:g}` (medians, ms; PgBouncer's is its "
        "average):",
        "",
        "| route | held, PgBouncer | held, driver | CPU while held | request |",
        "|---|---:|---:|---:|---:|",
    ]
    for route, values in figures.items():
        lines.append(
            f"| `{route}` | {values['held_ms']:.2f} | {values['held_in_driver_ms']:.2f} | "
            f"{values['cpu_while_held_ms']:.2f} | {values['request_ms']:.2f} |"
        )
    return "\n".join(lines)


def write_docs(section: str, marks: tuple[str, str]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    start, end = text.index(marks[0]) + len(marks[0]), text.index(marks[1])
    DOCS.write_text(f"{text[:start]}\n{section}\n{text[end:]}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--container", help=argparse.SUPPRESS)  # a container's own process
    parser.add_argument("--containers", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pool", type=int, default=4)
    parser.add_argument("--rtt-ms", type=float, default=1.0)
    parser.add_argument("--deadline", type=float, default=3.0, help="REQUEST_DEADLINE_SECONDS")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--held", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.container:
        container_main(json.loads(args.container))
        return 0
    if args.held:
        figures = held_per_route(requests=min(args.requests, 2000), rtt_ms=args.rtt_ms)
        print(f"held {json.dumps(figures)}")  # one line: the app's own log lines go to stdout too
        if args.write_docs:
            write_docs(held_table(figures, args.rtt_ms, args.requests), HELD_MARKS)
        return 0
    run = run_containers(
        containers=min(args.containers, 200),
        seconds=min(args.seconds, 120.0),  # bounded whatever is asked
        pool=args.pool,
        rtt_ms=args.rtt_ms,
        deadline_seconds=args.deadline,
        faults=args.faults,
    )
    report = run.report()
    print(json.dumps(report, indent=2))
    if args.write_docs and not run.problems:
        write_docs(scale_table(report), SCALE_MARKS)
    return 1 if run.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
