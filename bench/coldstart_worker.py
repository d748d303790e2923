"""Runs inside a fresh, isolated interpreter (``python -I -S``): what a Lambda container does.

argv: the kit's context.py, function dir, layer python dir, runtime dir (devtools/lambda_kit/isolated.py),
then mode (cold|restore|warm), spec file, result file, spawned-at (the parent's ``time.monotonic()`` just before it
started this process), and in warm mode the file descriptor to answer on.

The spec file holds the routes: ``{"routes": [{"name", "event", "status", "list_length"}]}``; the first one
is the cold-start request.

- cold: imports ``app``, answers the first route once, writes the timings to the result file and exits.
- restore: a SnapStart restore, emulated: imports ``app`` (init) and runs the before-snapshot hook; then,
  timed as ``first_request_ms``, the after-restore hook and the first route (settings, secrets and the
  database connection are read afresh, as after a restore). What Lambda itself does to restore the memory
  is not part of it.
- warm: the same, then calls every route once more (the first call may open the connection, fill caches),
  answers ``ready`` and serves batches: each line on stdin is ``{route name: invocations}``; the routes run
  interleaved (one invocation of each in turn) and the samples come back as one JSON line. ``{"profile": n}``
  runs the first route n times under cProfile and answers its self time per package. An empty object or end
  of input ends the process.

Free of project imports: only the standard library is on the path until the function, layer and runtime
directories are added; the kit's context.py is loaded by its path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time

TYPE_CHECKING = False  # typing is not imported here: that would take its cost out of the app's import time
if TYPE_CHECKING:
    from typing import Any

started = time.monotonic()
context_file, function_dir, layer_dir, runtime_dir, mode, spec_path, result_path, spawned_at = sys.argv[1:9]
context_spec = importlib.util.spec_from_file_location("lambda_context", context_file)
assert context_spec is not None
assert context_spec.loader is not None
context_module = importlib.util.module_from_spec(context_spec)
context_spec.loader.exec_module(context_module)
context_module.use_lambda_path(function_dir, layer_dir, runtime_dir)
# One for every invocation: nothing changes it, and building one is then not part of any timing.
invocation_context = context_module.FakeLambdaContext(
    "bench-function", aws_request_id="bench", log_stream_name="bench"
)

with open(spec_path) as handle:
    routes = json.load(handle)["routes"]
# Lambda hands the handler a freshly decoded event each time; decoding is not part of the handler's time.
payloads = {route["name"]: json.dumps(route["event"]) for route in routes}


class Database:
    """Time spent waiting for PostgreSQL and round trips since the last reset."""

    seconds = 0.0
    round_trips = 0


if mode == "warm":
    # Count round trips and the time spent waiting for PostgreSQL: every pg8000 exchange ends in
    # handle_messages, which reads until ReadyForQuery (tests/api/test_round_trips.py counts the same way).
    import pg8000.core

    original = pg8000.core.CoreConnection.handle_messages

    def counted(self: object, context: object) -> object:
        entered = time.perf_counter()
        try:
            return original(self, context)
        finally:
            Database.seconds += time.perf_counter() - entered
            # The answer to a ROLLBACK sent as the previous request ended is read, not waited for.
            if not getattr(self, "reading_earlier_reply", False):
                Database.round_trips += 1

    pg8000.core.CoreConnection.handle_messages = counted

import app  # type: ignore[import-not-found]  # noqa: E402  (the function under test, put on sys.path above)

imported = time.monotonic()
if mode == "restore":
    from todo_shared.runtime import snapstart

    snapstart.before_snapshot()
    imported = time.monotonic()
    snapstart.after_restore()
first = app.handler(json.loads(payloads[routes[0]["name"]]), invocation_context)
answered = time.monotonic()


def problem(route: dict[str, Any], response: dict[str, Any]) -> str | None:
    """Why ``response`` is not the expected answer to ``route``, or None."""
    if response.get("statusCode") != route["status"]:
        return f"{route['name']}: status {response.get('statusCode')}, expected {route['status']}: {response.get('body', '')[:500]}"
    if route.get("list_length") is not None:
        length = len(json.loads(response["body"])["tasks"])
        if length != route["list_length"]:
            return f"{route['name']}: {length} tasks, expected {route['list_length']}"
    return None


result = {
    "problem": problem(routes[0], first),
    "start_ms": (answered - float(spawned_at)) * 1000,
    "import_ms": (imported - started) * 1000,
    "first_request_ms": (answered - imported) * 1000,
    "cold_ms": (answered - started) * 1000,
}
with open(result_path, "w") as handle:
    json.dump(result, handle)
if mode != "warm":
    sys.exit(0)

reply = os.fdopen(int(sys.argv[9]), "w")
if result["problem"]:
    reply.write(json.dumps({"problem": result["problem"]}) + "\n")
    reply.flush()
    sys.exit(1)


def invoke(route: dict[str, Any]) -> tuple[float, float, int]:
    event = json.loads(payloads[route["name"]])
    Database.seconds, Database.round_trips = 0.0, 0
    begun = time.perf_counter()
    response = app.handler(event, invocation_context)
    elapsed = time.perf_counter() - begun
    seconds, trips = Database.seconds, Database.round_trips
    wrong = problem(route, response)
    if wrong:
        reply.write(json.dumps({"problem": wrong}) + "\n")
        reply.flush()
        sys.exit(1)
    return elapsed * 1000, seconds * 1000, trips


def origin(filename: str, function: str) -> str:
    """The top-level package (or function code, or standard library module) a profiled function belongs to."""
    if (
        filename == "~"
    ):  # C: "<built-in method builtins.len>", "<method 'recv_into' of '_socket.socket' objects>"
        owner = function.split(" of '")[1].split("'")[0] if " of '" in function else function.split()[-1]
        return owner.strip("<>").split(".")[0]
    if filename.startswith(function_dir):
        return "function code"
    # The layer's bytecode is compiled with /opt/python as its path (shared/Makefile).
    for root in (layer_dir, "/opt/python", runtime_dir):
        if filename.startswith(root + "/"):
            return filename[len(root) + 1 :].split("/")[0].removesuffix(".py")
    if filename.startswith(os.path.dirname(os.__file__)):
        return "stdlib " + filename[len(os.path.dirname(os.__file__)) + 1 :].split("/")[0].removesuffix(".py")
    return "other"


def profile(count: int) -> dict[str, float]:
    """Self time per package, ms per invocation, over ``count`` invocations of the first route under cProfile."""
    import cProfile
    import pstats

    events = [json.loads(payloads[routes[0]["name"]]) for _ in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    for event in events:
        app.handler(event, invocation_context)
    profiler.disable()
    packages: dict[str, float] = {}
    for (filename, _, function), (_, _, self_time, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        name = origin(filename, function)
        packages[name] = packages.get(name, 0.0) + self_time * 1000 / count
    return packages


for route in routes:
    invoke(route)
reply.write('"ready"\n')
reply.flush()
for line in sys.stdin:
    counts = json.loads(line)
    if not counts:
        break
    if "profile" in counts:  # {"profile": n}: not a route name (names are "METHOD /path")
        reply.write(json.dumps(profile(counts["profile"])) + "\n")
        reply.flush()
        continue
    samples: dict[str, dict[str, list[float]]] = {
        name: {"total_ms": [], "database_ms": [], "round_trips": []} for name in counts
    }
    for index in range(max(counts.values())):
        for route in routes:
            if counts.get(route["name"], 0) > index:
                total, waited, trips = invoke(route)
                taken = samples[route["name"]]
                taken["total_ms"].append(total)
                taken["database_ms"].append(waited)
                taken["round_trips"].append(trips)
    reply.write(json.dumps(samples) + "\n")
    reply.flush()
