"""Bounded load test: many concurrent users against the local server on PostgreSQL through PgBouncer.

    .venv/bin/python -m bench.load [--users 40] [--seconds 20] [--max-requests 20000]

Loopback only, stops by itself (time and request bounds). Starts its own fresh database, its own PgBouncer
(transaction mode) and the local server (devtools.serve) on a free port. Each simulated user signs up, logs
in, then repeats a realistic mix: list (48%), create (25%), toggle complete (14%), delete (10%), log in
again (3%, bcrypt at the production cost).
Reports throughput, p50/p99 (nearest rank) latency per operation and errors (must be zero), then checks the
database: every acknowledged write is there and nothing else is (exit status 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import stats
from devtools import postgres
from devtools.migrate import migrate
from devtools.net import running_server

OPERATIONS = (("list", 0.48), ("create", 0.25), ("toggle", 0.14), ("delete", 0.10), ("login", 0.03))


@dataclass
class UserState:
    email: str
    password: str
    token: str = ""
    user_id: str = ""
    # What the server acknowledged: task id → completed flag; and ids it acknowledged deleting.
    tasks: dict[int, bool] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, started: float, response: httpx.Response, expected: int) -> bool:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[operation].append(elapsed)
            if response.status_code != expected:
                self.errors.append(f"{operation}: {response.status_code} {response.text[:200]}")
                return False
        return True


def run_user(
    base: str, user: UserState, results: Results, deadline: float, budget: list[int], seed: int
) -> None:
    rng = random.Random(seed)
    # Each user from its own loopback address, as real users come from their own: the login throttle
    # counts per source address (30 in flight or failed), and 40 users behind one address would trip it.
    transport = httpx.HTTPTransport(local_address=f"127.0.{seed // 250}.{seed % 250 + 2}")
    with httpx.Client(base_url=base, timeout=30, transport=transport) as client:
        started = time.perf_counter()
        response = client.post("/api/auth/signup", json={"email": user.email, "password": user.password})
        if not results.record("signup", started, response, 201):
            return
        user.user_id = response.json()["user"]["id"]
        started = time.perf_counter()
        response = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
        if not results.record("login", started, response, 200):
            return
        body = response.json()
        user.token = body["token"]
        client.headers["authorization"] = f"Bearer {user.token}"
        client.cookies.clear()
        while time.monotonic() < deadline:
            with results.lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            operation = stats.weighted_pick(rng, OPERATIONS)
            live = [task_id for task_id in user.tasks if task_id not in user.deleted]
            if operation in ("toggle", "delete") and not live:
                operation = "create"
            started = time.perf_counter()
            if operation == "list":
                response = client.get("/api/tasks", params={"limit": 20})
                results.record(operation, started, response, 200)
            elif operation == "create":
                response = client.post("/api/tasks", json={"title": f"task {uuid.uuid4().hex[:8]}"})
                if results.record(operation, started, response, 201):
                    user.tasks[response.json()["id"]] = False
            elif operation == "login":
                response = client.post(
                    "/api/auth/login", json={"email": user.email, "password": user.password}
                )
                if results.record(operation, started, response, 200):
                    user.token = response.json()["token"]
                    client.headers["authorization"] = f"Bearer {user.token}"
                    client.cookies.clear()
            elif operation == "toggle":
                task_id = rng.choice(live)
                wanted = not user.tasks[task_id]
                response = client.patch(f"/api/tasks/{task_id}/complete", json={"completed": wanted})
                if results.record(operation, started, response, 200):
                    user.tasks[task_id] = response.json()["completed"]
            else:
                task_id = rng.choice(live)
                response = client.delete(f"/api/tasks/{task_id}")
                if results.record(operation, started, response, 204):
                    user.deleted.add(task_id)


def verify_database(database: str, users: list[UserState]) -> list[str]:
    """Every acknowledged write is in the database, and nothing else is, for every simulated user."""
    problems: list[str] = []
    connection = postgres.connect(database)
    try:
        for user in users:
            rows = connection.run("SELECT id, completed FROM tasks WHERE user_id = :u", u=user.user_id)
            stored = {int(task_id): bool(completed) for task_id, completed in rows}
            expected = {task_id: done for task_id, done in user.tasks.items() if task_id not in user.deleted}
            if stored != expected:
                missing = sorted(set(expected) - set(stored))
                extra = sorted(set(stored) - set(expected))
                wrong = sorted(t for t in set(expected) & set(stored) if expected[t] != stored[t])
                problems.append(f"{user.email}: missing {missing}, unexpected {extra}, wrong state {wrong}")
        signed_up = sorted(user.email for user in users if user.user_id)
        stored_users = sorted(row[0] for row in connection.run("SELECT email FROM users"))
        if stored_users != signed_up:
            problems.append(f"users table holds {len(stored_users)} rows, {len(signed_up)} acknowledged")
        total = connection.run("SELECT count(*) FROM tasks")[0][0]
        expected_total = sum(len(user.tasks) - len(user.deleted) for user in users)
        if total != expected_total:
            problems.append(f"tasks table holds {total} rows, {expected_total} acknowledged")
    finally:
        connection.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    seconds = min(args.seconds, 120.0)  # bounded whatever is asked
    with (
        postgres.fresh_database() as database,
        postgres.running_pgbouncer(Path(tempfile.mkdtemp(prefix="load-pgb-"))) as bouncer,
    ):
        migrate(postgres.direct_url(database))
        state = Path(tempfile.mkdtemp(prefix="load-state-"))
        env = {
            **os.environ,
            "ENVIRONMENT": "local",
            "ENV_FILE": str(state / "none.env"),
            "LOCAL_STATE_DIR": str(state),
            "DATABASE_URL": bouncer.url(database),
            "DATABASE_POOL_SIZE": "10",
            "BCRYPT_ROUNDS": "12",  # the production default
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        with running_server("devtools.serve", env) as base:
            users = [
                UserState(f"load-{uuid.uuid4().hex[:10]}@example.com", "load-password-1")
                for _ in range(args.users)
            ]
            results = Results()
            budget = [args.max_requests]
            started = time.monotonic()
            deadline = started + seconds
            threads = [
                threading.Thread(target=run_user, args=(base, user, results, deadline, budget, index))
                for index, user in enumerate(users)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=seconds + 60)
            elapsed = time.monotonic() - started
        problems = verify_database(database, users)
    requests = sum(len(values) for values in results.latencies.values())
    report = {
        "users": args.users,
        "seconds": round(elapsed, 1),
        "requests": requests,
        "throughput_rps": round(requests / elapsed, 1),
        "errors": len(results.errors),
        "operations": {
            name: {
                "count": len(values),
                "p50_ms": round(stats.median(values), 2),
                "p99_ms": round(stats.p99(values), 2),
            }
            for name, values in sorted(results.latencies.items())
        },
        "acknowledged_tasks_alive": sum(len(u.tasks) - len(u.deleted) for u in users),
        "acknowledged_deletes": sum(len(u.deleted) for u in users),
        "database_check": problems or "every acknowledged write present, nothing else",
    }
    print(json.dumps(report, indent=2))
    for error in results.errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if results.errors or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
