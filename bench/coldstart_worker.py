"""Runs inside a fresh, isolated interpreter (``python -I -S``): what a Lambda container does.

argv: mode (cold|warm), function dir, layer python dir, runtime dir, event file, result file, [warm rounds]
Writes JSON timings to the result file. Kept free of project imports: only the standard library is on the
path until the function, layer and runtime directories are added.
"""

import json
import sys
import time

started = time.perf_counter()
mode, function_dir, layer_dir, runtime_dir, event_path, result_path = sys.argv[1:7]
rounds = int(sys.argv[7]) if len(sys.argv) > 7 else 0
sys.path[:0] = [function_dir, layer_dir, runtime_dir]


class Context:
    function_name = "bench-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-function"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 15000


with open(event_path) as handle:
    event = json.load(handle)

database = {"seconds": 0.0, "round_trips": 0}
if mode == "warm":
    # Count round trips and the time spent waiting for PostgreSQL: every pg8000 exchange ends in
    # handle_messages, which reads until ReadyForQuery.
    import pg8000.core

    original = pg8000.core.CoreConnection.handle_messages

    def counted(self: object, context: object) -> object:
        entered = time.perf_counter()
        try:
            return original(self, context)
        finally:
            database["seconds"] += time.perf_counter() - entered
            database["round_trips"] += 1

    pg8000.core.CoreConnection.handle_messages = counted

import app  # noqa: E402

imported = time.perf_counter()
first = app.handler(event, Context())
answered = time.perf_counter()
result = {
    "status": first["statusCode"],
    "import_ms": (imported - started) * 1000,
    "first_request_ms": (answered - imported) * 1000,
    "cold_ms": (answered - started) * 1000,
}
if mode == "warm":
    samples, database_samples, trips = [], [], []
    for _ in range(rounds):
        database["seconds"], database["round_trips"] = 0.0, 0
        begun = time.perf_counter()
        response = app.handler(event, Context())
        samples.append((time.perf_counter() - begun) * 1000)
        database_samples.append(database["seconds"] * 1000)
        trips.append(database["round_trips"])
        assert response["statusCode"] == first["statusCode"], response
    result.update(warm_ms=samples, database_ms=database_samples, round_trips=trips)
with open(result_path, "w") as handle:
    json.dump(result, handle)
