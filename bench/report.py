"""Turns one benchmark run into docs/performance.md: the targets first, then every figure behind them."""

from __future__ import annotations

import argparse
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import stats
from bench.model import BCRYPT_SAMPLES, ColdCase, Mode, Subject, WarmSamples
from bench.network import Calibration, Network, calibration_lines

# The layer-plus-one-function budget (docs/adr/0002-functions-and-layer-build.md), and Lambda's quotas: the ones scripts/sam-check enforces.
from devtools.invoke_built import BUDGET_BYTES, LAMBDA_UNZIPPED_LIMIT, LAMBDA_ZIPPED_LIMIT

MB = 1_000_000
# The packages whose versions the figures depend on, as their distributions are named (canonical form).
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "sqlalchemy",
    "sqlmodel",
    "pg8000",
    "mangum",
    "aws-lambda-powertools",
    "pyjwt",
    "bcrypt",
    "cryptography",
)
RUNTIME_PACKAGES = ("boto3", "botocore")
IMPORT_PROFILE_ROWS = 12
WARM_PROFILE_ROWS = 15
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB (AWS Lambda docs).
ONE_VCPU_MB = 1769
FUNCTION_MEMORY_MB = 1024


# One network's cold starts: (case label, mode) → each start's figures.
ColdResults = dict[tuple[str, Mode], list[dict[str, Any]]]


@dataclass(frozen=True)
class Inputs:
    arguments: argparse.Namespace
    python: str
    python_version: str
    built: Path
    subjects: list[Subject]
    cold_cases: list[ColdCase]
    cold: ColdResults
    read_only_files: int
    profiles: dict[str, dict[str, float]]
    warm: dict[tuple[str, str], WarmSamples]
    warm_profiles: dict[str, dict[str, float]]
    bcrypt_rounds: int
    bcrypt_costs: dict[int, float]
    bcrypt_version: str
    versions: dict[str, str]
    runtime_versions: dict[str, str]
    postgresql: str
    pgbouncer: str
    sizes: dict[str, tuple[int, int]]
    load: tuple[tuple[float, float, float], tuple[float, float, float]]
    minutes: float
    # Every network measured (the first one's figures are ``cold`` and ``warm``), each one's figures, and the
    # relays' calibration (route name → figures; "direct" is PgBouncer without a relay).
    networks: list[Network]
    network_cold: dict[str, ColdResults]
    network_warm: dict[str, dict[tuple[str, str], WarmSamples]]
    calibration: dict[str, Calibration]


@dataclass(frozen=True)
class Verdict:
    target: str
    goal: str
    measured: str
    spread: str
    passed: bool
    miss: str = ""  # by how much, and where to look, when not passed


# --- Figures ----------------------------------------------------------------------------------------------


NOTES = Path(__file__).with_name("notes.md")


def cold_figures(cold: ColdResults, label: str, mode: Mode, key: str) -> list[float]:
    """One figure (``key``) of every cold start of a case, from one network's results."""
    return [float(outcome[key]) for outcome in cold[(label, mode)]]


def label_of(inputs: Inputs, key: str) -> str:
    return next(subject.label for subject in inputs.subjects if subject.key == key)


def ratio_verdict(
    target: str,
    goal: float,
    measured: Sequence[float],
    baseline: Sequence[float],
    paired: Sequence[float],
    *,
    pairing: str,
    hint: str,
    digits: int,
) -> Verdict:
    """``measured`` against ``goal`` times ``baseline``: ratio of medians, with the pairs' quartiles and p99s."""
    top, bottom = stats.median(measured), stats.median(baseline)
    ratio = top / bottom
    first, third = stats.quartiles(paired)
    spread = (
        f"{pairing} ratios IQR {first:.2f}–{third:.2f}; p99 {stats.p99(measured):.{digits}f} / "
        f"{stats.p99(baseline):.{digits}f} ms = {stats.p99(measured) / stats.p99(baseline):.2f}×"
    )
    passed = ratio <= goal
    miss = ""
    if not passed:
        needed = goal * bottom
        miss = (
            f"{ratio:.2f}× against ≤ {goal:.2f}×: {100 * (ratio / goal - 1):.0f} % over; the median would have "
            f"to fall by {top - needed:.{digits}f} ms, from {top:.{digits}f} to {needed:.{digits}f} ms. {hint}"
        )
    return Verdict(
        target,
        f"≤ {goal:.2f}×",
        f"{ratio:.2f}× ({top:.{digits}f} / {bottom:.{digits}f} ms)",
        spread,
        passed,
        miss,
    )


def limit_verdict(
    target: str, goal: float, values: Sequence[float], *, hint: str, digits: int = 3, unit: str = "ms"
) -> Verdict:
    """The median of ``values`` under ``goal``."""
    middle = stats.median(values)
    first, third = stats.quartiles(values)
    passed = middle < goal
    miss = ""
    if not passed:
        miss = (
            f"{middle:.{digits}f} {unit} against < {goal} {unit}: over by {middle - goal:.{digits}f} {unit} "
            f"({100 * (middle / goal - 1):.0f} %). {hint}"
        )
    return Verdict(
        target,
        f"< {goal} {unit}",
        f"{middle:.{digits}f} {unit}",
        f"IQR {first:.{digits}f}–{third:.{digits}f}; p99 {stats.p99(values):.{digits}f} {unit}",
        passed,
        miss,
    )


def size_verdict(target: str, goal: int, measured: int, what: str, hint: str) -> Verdict:
    passed = measured <= goal
    miss = ""
    if not passed:
        miss = (
            f"{measured / MB:.2f} MB against {goal / MB:.1f} MB: {(measured - goal) / MB:.2f} MB over. {hint}"
        )
    return Verdict(target, f"≤ {goal / MB:.1f} MB", f"{measured / MB:.2f} MB ({what})", "—", passed, miss)


# The targets' network: the same-region round trip. Without it in the run, loopback stands in (and says so).
TARGET_RTT_MS = 1.0
# Round trips per request (the kept connection known alive), the most each route may take.
ROUND_TRIP_GOALS = (
    ("tasks", "GET /api/tasks", 2),
    ("tasks", "POST /api/tasks", 2),
    ("auth", "POST /api/auth/login", 4),
)


@dataclass(frozen=True)
class TargetNetwork:
    wording: str
    cold: ColdResults
    warm: dict[tuple[str, str], WarmSamples]


def target_network(inputs: Inputs) -> TargetNetwork:
    for item in inputs.networks:
        if item.rtt_ms == TARGET_RTT_MS:
            return TargetNetwork(
                f"at {item.rtt_ms:g} ms round trip",
                inputs.network_cold[item.name],
                inputs.network_warm[item.name],
            )
    return TargetNetwork("on loopback (no 1 ms network in this run)", inputs.cold, inputs.warm)


def round_trip_verdict(inputs: Inputs, key: str, route: str, goal: int) -> Verdict:
    trips = [int(value) for value in inputs.warm[(key, route)].round_trips]
    steady = min(trips) == max(trips)
    return Verdict(
        f"`{route}` database round trips, token check included (connection known alive)",
        f"≤ {goal}",
        str(max(trips)) if steady else f"{stats.median(trips):.0f} (max {max(trips)})",
        "the same for every request" if steady else f"{min(trips)}–{max(trips)}",
        max(trips) <= goal,
        "" if max(trips) <= goal else f"{max(trips) - goal} round trip(s) too many: see 'The misses'.",
    )


def verdicts(inputs: Inputs) -> list[Verdict]:
    tasks, baseline = label_of(inputs, "tasks"), label_of(inputs, "straightforward")
    where = target_network(inputs)
    found: list[Verdict] = []
    cold_goals: tuple[tuple[Mode, float, str], ...] = (
        ("compiled", 0.9, "bytecode compiled"),
        ("fresh", 0.5, "fresh, read-only code directory"),
    )
    for mode, goal, wording in cold_goals:
        mine = cold_figures(where.cold, tasks, mode, "start_ms")
        theirs = cold_figures(where.cold, baseline, mode, "start_ms")
        verdict = ratio_verdict(
            f"Cold start of the tasks function, first request included ({wording}), {where.wording}, against "
            "the straightforward FastAPI baseline",
            goal,
            mine,
            theirs,
            stats.ratios(mine, theirs),
            pairing="per-round",
            hint="See 'Where the cold start goes' for the imports that cost most.",
            digits=1,
        )
        if mode == "fresh":
            # The baseline is built without bytecode; say how it compares with the layer's bytecode as well.
            variant = next(
                case.label
                for case in inputs.cold_cases
                if case.subject.key == "straightforward" and case.label != baseline
            )
            on_layer = stats.median(cold_figures(where.cold, variant, "fresh", "start_ms"))
            verdict = replace(
                verdict,
                spread=f"{verdict.spread}; against the baseline on the project's layer build (bytecode "
                f"shipped): {stats.median(mine) / on_layer:.2f}×",
            )
        found.append(verdict)
    listing = where.warm[("tasks", "GET /api/tasks")]
    for key, goal in (("floor", 0.75), ("straightforward", 0.6)):
        other = where.warm[(key, "GET /api/tasks")]
        steps = sorted(set(listing.step_medians) & set(other.step_medians))
        found.append(
            ratio_verdict(
                f"Warm `GET /api/tasks` through the handler, {where.wording}, against the {label_of(inputs, key)}",
                goal,
                listing.total,
                other.total,
                stats.ratios(
                    [listing.step_medians[s] for s in steps], [other.step_medians[s] for s in steps]
                ),
                pairing="per-step",
                hint="The warm table's database and not-database columns show which part is over.",
                digits=3,
            )
        )
    warm_median = stats.median(listing.total)
    for case in (case for case in inputs.cold_cases if case.mode == "restore"):
        restored = cold_figures(where.cold, case.label, "restore", "first_request_ms")
        ratio = stats.median(restored) / warm_median
        found.append(
            Verdict(
                f"Emulated SnapStart restore → first `GET /api/tasks` response ({case.label}), {where.wording}, "
                "against a warm request",
                "≤ 5.00×",
                f"{ratio:.2f}× ({stats.median(restored):.1f} / {warm_median:.3f} ms)",
                f"IQR {' – '.join(f'{value:.1f}' for value in stats.quartiles(restored))} ms; p99 "
                f"{stats.p99(restored):.1f} ms",
                ratio <= 5.0,
                ""
                if ratio <= 5.0
                else f"{ratio:.2f}× against ≤ 5×: the first response would have to fall by "
                f"{stats.median(restored) - 5 * warm_median:.1f} ms, to {5 * warm_median:.1f} ms. See 'The misses' and 'SnapStart on AWS'.",
            )
        )
    found.append(
        limit_verdict(
            "Warm `GET /health` through the handler",
            0.1,
            inputs.warm[("health", "GET /health")].total,
            hint="No database is involved: it is the Lambda handler stack (Powertools, Mangum, FastAPI).",
        )
    )
    found += [round_trip_verdict(inputs, key, route, goal) for key, route, goal in ROUND_TRIP_GOALS]
    layer_unzipped = inputs.sizes["SharedLayer"][0]
    functions = {name: size for name, size in inputs.sizes.items() if name != "SharedLayer"}
    largest = max(functions, key=lambda name: functions[name][0])
    together = layer_unzipped + functions[largest][0]
    found.append(
        size_verdict(
            "Layer plus function, unzipped (the largest function)",
            BUDGET_BYTES,
            together,
            f"layer + {largest}",
            "The layer is most of it: see the sizes table.",
        )
    )
    found.append(
        size_verdict(
            "Lambda quota: function and its layers, unzipped",
            LAMBDA_UNZIPPED_LIMIT,
            together,
            f"layer + {largest}",
            "Lambda refuses the deployment.",
        )
    )
    biggest_zip = max(((name, size[1]) for name, size in inputs.sizes.items()), key=lambda item: item[1])
    found.append(
        size_verdict(
            "Lambda quota: zipped archive for a direct upload (the largest)",
            LAMBDA_ZIPPED_LIMIT,
            biggest_zip[1],
            biggest_zip[0],
            "Upload through S3 instead (sam deploy does), or shrink the layer.",
        )
    )
    return found


# --- Rendering --------------------------------------------------------------------------------------------


def table(header: Sequence[str], aligns: str, rows: list[Sequence[str]]) -> list[str]:
    """A Markdown table; ``aligns`` is one letter per column, l or r."""
    marks = {"l": "---", "r": "---:"}
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(marks[letter] for letter in aligns) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def machine(inputs: Inputs) -> list[str]:
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    (one_before, _, _), (one_after, _, _) = inputs.load
    layer_packages = ", ".join(
        f"{name} {inputs.versions[name]}" for name in PACKAGES if name in inputs.versions
    )
    runtime_packages = ", ".join(
        f"{name} {inputs.runtime_versions[name]}"
        for name in RUNTIME_PACKAGES
        if name in inputs.runtime_versions
    )
    return [
        "## Machine and versions",
        "",
        f"- Machine: {platform.machine()}, {cpu}, {os.cpu_count()} cores, {memory} of memory; "
        f"{platform.system()} {platform.release()}. Load average {one_before:.2f} at the start, "
        f"{one_after:.2f} at the end (other work shared the machine).",
        f"- Python {' '.join(inputs.python_version.split())} (`{inputs.python}`), started as `python -I -S` with only the function, "
        "the layer, the standard library and the runtime stand-in on its path.",
        f"- The layer's packages (`{inputs.built.relative_to(inputs.built.parents[1])}/SharedLayer`, read from "
        f"their METADATA): {layer_packages}.",
        f"- The runtime's packages (stand-in for Lambda's /var/runtime, pinned in requirements-run.txt): "
        f"{runtime_packages}.",
        f"- PostgreSQL {inputs.postgresql} and {inputs.pgbouncer} (transaction mode) on loopback; the database "
        "is reached through PgBouncer as on AWS through Neon's pooler. The tables below the targets are "
        f"measured on {inputs.networks[0].label}; 'Through a network' has the same rows with a round trip "
        "added by the delay relay. Secrets Manager and SSM answered by a local moto server.",
        "- Lambda's environment as template.yaml sets it (ENVIRONMENT=production, secrets by ARN, log level "
        "INFO: the log lines are written, to a file), except X-Ray: `POWERTOOLS_TRACE_DISABLED=true`, as there is "
        "no daemon here. Its SDK is still imported (the tracer is created); recording segments is not measured.",
        "",
    ]


def cold_section(inputs: Inputs) -> list[str]:
    rows: list[Sequence[str]] = []
    for case in inputs.cold_cases:
        if case.mode != "compiled":
            continue
        rows.append(
            [
                case.label,
                *(
                    stats.median_p99(cold_figures(inputs.cold, case.label, "compiled", key))
                    for key in _COLD_KEYS
                ),
                *(
                    stats.median_p99(cold_figures(inputs.cold, case.label, "fresh", key))
                    for key in _COLD_KEYS
                ),
            ]
        )
    for case in inputs.cold_cases:
        if case.mode == "fresh" and (case.label, "compiled") not in inputs.cold:
            rows.append(
                [
                    case.label,
                    "—",
                    "—",
                    "—",
                    *(
                        stats.median_p99(cold_figures(inputs.cold, case.label, "fresh", key))
                        for key in _COLD_KEYS
                    ),
                ]
            )
    return [
        f"## Cold start (fresh interpreter → first response), ms, median / p99 over {inputs.arguments.rounds} rounds",
        "",
        *table(
            [
                "target",
                "compiled: start → response",
                "import",
                "first request",
                "fresh read-only: start → response",
                "import",
                "first request",
            ],
            "lrrrrrr",
            rows,
        ),
        "",
        "- *start → response*: from starting the interpreter to the first response (what Lambda's init plus "
        "first invoke cost, less its runtime client); *import*: importing the handler's module; *first "
        "request*: the first invocation, which reads the settings (boto3 client, secret look-ups answered by "
        "moto), opens the database connection and answers. The first requests: tasks and the baselines `GET "
        "/api/tasks`, auth `GET /api/auth/verify`, health `GET /health`, docs `GET /openapi.json`.",
        "- *compiled*: every module's bytecode present (a first, unmeasured run wrote what the build did not "
        "ship). *fresh read-only*: copies of the artifacts exactly as built, `chmod -R a-w`, started with `-B` "
        f"and, as root, without the capabilities that let root ignore file modes (setpriv); the {inputs.read_only_files} files were unchanged afterwards. Nothing is compiled "
        "unless the build shipped it: the project's layer ships hash-based bytecode (shared/Makefile); a "
        "timestamp-based `.pyc` left in a build directory is dropped, as the zip round trip to Lambda makes it "
        "stale. The baselines are "
        "built the obvious way, with SAM's python builder, which ships none: fresh, they run on the same "
        "packages without bytecode. The last row is the straightforward handler on the project's layer build.",
        "- Rounds are interleaved: each round starts every target once, in an order that rotates from round to "
        "round. The files are in the page cache here; Lambda also has to fetch the code on a cold start, which "
        "this does not show.",
        "",
    ]


_COLD_KEYS = ("start_ms", "import_ms", "first_request_ms")


def profile_section(inputs: Inputs) -> list[str]:
    if not inputs.profiles:
        return []
    keys = list(inputs.profiles)
    packages = sorted(
        {package for profile in inputs.profiles.values() for package in profile},
        key=lambda package: -max(profile.get(package, 0.0) for profile in inputs.profiles.values()),
    )[:IMPORT_PROFILE_ROWS]
    rows: list[Sequence[str]] = [
        [f"`{package}`", *(f"{inputs.profiles[key].get(package, 0.0):.1f}" for key in keys)]
        for package in packages
    ]
    rows.append(["all imports", *(f"{sum(inputs.profiles[key].values()):.1f}" for key in keys)])
    return [
        "## Where the cold start goes",
        "",
        "One compiled cold start each with `-X importtime`: import time (self) per top-level package, ms, the "
        f"{IMPORT_PROFILE_ROWS} largest. The profiler's own cost inflates the figures; compare them with each "
        "other, not with the table above.",
        "",
        *table(["package", *(label_of(inputs, key) for key in keys)], "l" + "r" * len(keys), rows),
        "",
    ]


def warm_rows(inputs: Inputs, warm: dict[tuple[str, str], WarmSamples]) -> list[Sequence[str]]:
    """The warm table's rows (one per subject and call) from one network's measurements."""
    rows: list[Sequence[str]] = []
    for subject in inputs.subjects:
        for call in subject.calls:
            data = warm[(subject.key, call.name)]
            rows.append(
                [
                    subject.label,
                    f"`{call.name}`",
                    str(len(data.total)),
                    stats.median_p99(data.total, 3),
                    stats.median_p99(data.database, 3),
                    stats.median_p99(data.not_database, 3),
                    stats.median_p99(data.round_trips, 0),
                ]
            )
    return rows


def warm_section(inputs: Inputs) -> list[str]:
    rows = warm_rows(inputs, inputs.warm)
    return [
        "## Warm invocations through the handler, ms, median / p99",
        "",
        *table(
            ["function", "route", "invocations", "total", "database", "not database", "round trips"],
            "llrrrrr",
            rows,
        ),
        "",
        "- *total*: `handler(event, context)` in a container that has already answered (the connection is "
        "open); *database*: waiting for PostgreSQL and reading its answers, pg8000's decoding of the rows "
        "included (every pg8000 exchange, which ends at ReadyForQuery); *not database*: the rest; *round trips*: those exchanges, token checks included "
        "(on AWS each one is a network round trip to Neon that no local figure shows).",
        "- Calls: the list is the reader's 20 tasks; `POST /api/tasks` creates a task for another user (the "
        "list stays at 20); `GET /api/tasks/{task_id}` reads one task; `PATCH …/complete` toggles another; "
        "`POST /api/auth/login` checks the reader's password.",
        f"- Each function runs in one long-lived process; the processes take turns, {inputs.arguments.batch} "
        "invocations of each route per turn (routes interleaved), in an order that rotates every step.",
        "",
    ]


def network_section(inputs: Inputs) -> list[str]:
    """The relays' calibration, then per network: warm invocations and cold starts of every row."""
    lines = [
        "## Through a network: the delay relay",
        "",
        f"Networks measured: {', '.join(item.label for item in inputs.networks)}. A relayed network is a TCP "
        "relay on loopback in front of PgBouncer (`bench/netdelay.py`, its own process, one per round trip, the "
        "same for every row): it holds each chunk for half the round trip in each direction (latency, not "
        "bandwidth) and delivers nothing earlier than one round trip after a connection is accepted (the TCP "
        "handshake). Every row reads its database URL from its network's secret; cold rounds and warm steps "
        "take every network's cases in turn.",
        "",
        f"Calibration, ms: `SELECT 1` on an open pg8000 connection ({len(next(iter(inputs.calibration.values())).select)} "
        "interleaved samples per route) and opening a connection (TCP and PostgreSQL's startup, no TLS), "
        "PgBouncer directly, through a relay that adds nothing, and through each network's relay. *added* is "
        "the median minus the direct one: the relay's own cost is the 0 ms row; a network's row should add "
        "about its round trip more than that to `SELECT 1`, and two round trips to a connect.",
        "",
        *calibration_lines(inputs.calibration, direct="direct"),
        "",
    ]
    for item in inputs.networks:
        if item.rtt_ms is None:
            continue
        warm = inputs.network_warm[item.name]
        cold = inputs.network_cold[item.name]
        rows = warm_rows(inputs, warm)
        listing = warm[("tasks", "GET /api/tasks")]
        ratios = []
        for key in ("floor", "straightforward"):
            other = warm[(key, "GET /api/tasks")]
            steps = sorted(set(listing.step_medians) & set(other.step_medians))
            paired = stats.ratios(
                [listing.step_medians[s] for s in steps], [other.step_medians[s] for s in steps]
            )
            first, third = stats.quartiles(paired) if paired else (float("nan"), float("nan"))
            ratios.append(
                f"{stats.median(listing.total) / stats.median(other.total):.2f}× the {label_of(inputs, key)} "
                f"(per-step ratios IQR {first:.2f}–{third:.2f})"
            )
        cold_rows: list[Sequence[str]] = []
        for case in inputs.cold_cases:
            if case.mode != "compiled":
                continue
            fresh = (case.label, "fresh")
            cold_rows.append(
                [
                    case.label,
                    stats.median_p99(cold_figures(cold, case.label, "compiled", "start_ms")),
                    stats.median_p99(cold_figures(cold, case.label, "compiled", "first_request_ms")),
                    stats.median_p99(cold_figures(cold, case.label, "fresh", "start_ms"))
                    if fresh in cold
                    else "—",
                ]
            )
        lines += [
            f"### {item.label}: warm invocations through the handler, ms, median / p99",
            "",
            *table(
                ["function", "route", "invocations", "total", "database", "not database", "round trips"],
                "llrrrrr",
                rows,
            ),
            "",
            f"Warm `GET /api/tasks` (tasks function): {'; '.join(ratios)}.",
            "",
            f"### {item.label}: cold start, ms, median / p99 over {inputs.arguments.rounds} rounds",
            "",
            *table(
                [
                    "target",
                    "compiled: start → response",
                    "first request",
                    "fresh read-only: start → response",
                ],
                "lrrr",
                cold_rows,
            ),
            "",
        ]
    return lines


def restore_section(inputs: Inputs) -> list[str]:
    tasks = label_of(inputs, "tasks")
    rows: list[Sequence[str]] = []
    for item in inputs.networks:
        cold = inputs.network_cold[item.name]
        warm = inputs.network_warm[item.name][("tasks", "GET /api/tasks")].total
        compiled = cold_figures(cold, tasks, "compiled", "first_request_ms")
        for case in (case for case in inputs.cold_cases if case.mode == "restore"):
            restored = cold_figures(cold, case.label, "restore", "first_request_ms")
            rows.append(
                [
                    item.label,
                    case.label,
                    stats.median_p99(restored),
                    stats.median_p99(compiled),
                    stats.median_p99(warm),
                    f"{stats.median(restored) / stats.median(warm):.2f}×",
                ]
            )
    return [
        f"## SnapStart restore, emulated: `GET /api/tasks`, ms, median / p99 over {inputs.arguments.rounds} rounds",
        "",
        *table(
            [
                "network",
                "target",
                "restore → first response",
                "cold start's first request",
                "warm request",
                "restore / warm",
            ],
            "llrrrr",
            rows,
        ),
        "",
        "- *restore → first response*: a fresh interpreter imports the function (its init, priming request "
        "included) and runs the before-snapshot hook; then, timed, the after-restore hook and the first request, "
        "which reads the settings and secrets (moto; through the extension's stand-in for the second target) "
        "and opens a new database connection, as a restored container must. Lambda's own restore (loading the "
        "snapshot's memory) is not emulated: on AWS it comes on top. *cold start's first request*: the same "
        "request after a plain cold start (default secrets reader).",
        "",
    ]


def warm_profile_section(inputs: Inputs) -> list[str]:
    if not inputs.warm_profiles:
        return []
    keys = list(inputs.warm_profiles)
    profiles = inputs.warm_profiles
    packages = sorted(
        {package for profile in profiles.values() for package in profile},
        key=lambda package: -max(profile.get(package, 0.0) for profile in profiles.values()),
    )[:WARM_PROFILE_ROWS]
    rows: list[Sequence[str]] = [
        [f"`{package}`", *(f"{profiles[key].get(package, 0.0):.3f}" for key in keys)] for package in packages
    ]
    rows.append(["everything", *(f"{sum(profiles[key].values()):.3f}" for key in keys)])
    columns = [
        f"{label_of(inputs, key)} `{next(s.calls[0].name for s in inputs.subjects if s.key == key)}`"
        for key in keys
    ]
    return [
        "## Where the warm time goes",
        "",
        "The first route of some functions, invoked again under cProfile: self time per top-level package (C "
        "functions under their module or type's package; `_ssl` and `_socket` are mostly waiting for PostgreSQL, "
        "over TLS), ms per "
        f"invocation, the {WARM_PROFILE_ROWS} largest. The profiler inflates code that makes many calls; compare "
        "the rows with each other.",
        "",
        *table(["package", *columns], "l" + "r" * len(keys), rows),
        "",
    ]


def login_section(inputs: Inputs) -> list[str]:
    login = inputs.warm[("auth", "POST /api/auth/login")]
    chosen = inputs.bcrypt_costs.get(inputs.bcrypt_rounds)
    costs = ", ".join(f"{cost}: {ms:.0f} ms" for cost, ms in sorted(inputs.bcrypt_costs.items()))
    share = FUNCTION_MEMORY_MB / ONE_VCPU_MB
    return [
        "## Login and the bcrypt cost",
        "",
        f"- `POST /api/auth/login` at cost {inputs.bcrypt_rounds}: {stats.median_p99(login.total)} ms "
        f"(median / p99 over {len(login.total)} logins), of which {stats.median(login.database):.1f} ms "
        f"database in {stats.median(login.round_trips):.0f} round trips; the rest is mostly one bcrypt check.",
        f"- One bcrypt check alone, by cost (median of {BCRYPT_SAMPLES}, in the benchmark's own process: bcrypt "
        f"{inputs.bcrypt_version}, the layer's is {inputs.versions.get('bcrypt', 'unknown')}): {costs}. Each step "
        "doubles it.",
        f"- Why {inputs.bcrypt_rounds} (settings.py's default; production refuses less than 10): OWASP's "
        "Password Storage Cheat Sheet asks for a bcrypt work factor of 10 or more; "
        f"{inputs.bcrypt_rounds} costs {chosen:.0f} ms here, enough to slow offline guessing of a leaked hash "
        "by that much per guess, at a price paid once per sign-in. On Lambda arm64 at "
        f"{FUNCTION_MEMORY_MB} MB the function gets about {share:.2f} of a vCPU ({ONE_VCPU_MB} MB = one), "
        f"so a check takes longer there: about {1 / share:.1f}× this machine's per-core time, or more. Online "
        "guessing is bounded by the login throttle (per email and per address, docs/adr/0007-login-throttling.md), not by bcrypt."
        if chosen is not None
        else f"- Why {inputs.bcrypt_rounds}: settings.py's default.",
        "",
    ]


def size_section(inputs: Inputs) -> list[str]:
    rows: list[Sequence[str]] = [
        [name, f"{unzipped / MB:.2f}", f"{zipped / MB:.2f}"]
        for name, (unzipped, zipped) in inputs.sizes.items()
    ]
    layer_unzipped, _ = inputs.sizes["SharedLayer"]
    combined: list[Sequence[str]] = [
        [
            f"SharedLayer + {name}",
            f"{(layer_unzipped + unzipped) / MB:.2f}",
            f"{100 * (layer_unzipped + unzipped) / BUDGET_BYTES:.0f} %",
            f"{100 * (layer_unzipped + unzipped) / LAMBDA_UNZIPPED_LIMIT:.0f} %",
        ]
        for name, (unzipped, _) in inputs.sizes.items()
        if name != "SharedLayer"
    ]
    return [
        f"## Sizes (`{inputs.built.name}`; MB = 10^6 bytes)",
        "",
        *table(["artifact", "unzipped MB", "zipped MB"], "lrr", rows),
        "",
        *table(
            [
                "deployed together",
                "unzipped MB",
                f"of the {BUDGET_BYTES / MB:.0f} MB target",
                f"of Lambda's {LAMBDA_UNZIPPED_LIMIT / MB:.1f} MB (250 MiB)",
            ],
            "lrrr",
            combined,
        ),
        "",
        f"Zipped, each archive must stay under {LAMBDA_ZIPPED_LIMIT / MB:.1f} MB (50 MiB) for a direct upload. "
        "Zipped sizes are deflate at the default level, as `sam package` writes them.",
        "",
    ]


def round_trips_line(inputs: Inputs) -> str:
    """Every function route's round trips per request."""
    parts = []
    for subject in inputs.subjects:
        if subject.baseline:
            continue
        for call in subject.calls:
            trips = [int(value) for value in inputs.warm[(subject.key, call.name)].round_trips]
            counted = str(trips[0]) if min(trips) == max(trips) else f"{min(trips)}–{max(trips)}"
            parts.append(f"`{call.name}` {counted}")
    return "Database round trips per request, token checks included: " + ", ".join(parts) + "."


def targets_section(inputs: Inputs, found: list[Verdict]) -> list[str]:
    rows: list[Sequence[str]] = [
        [
            verdict.target,
            verdict.goal,
            verdict.measured,
            verdict.spread,
            "PASS" if verdict.passed else "**MISS**",
        ]
        for verdict in found
    ]
    misses = [f"- {verdict.target}: {verdict.miss}" for verdict in found if not verdict.passed]
    return [
        "## Targets",
        "",
        *table(["target", "goal", "measured (median)", "spread", "result"], "llrll", rows),
        "",
        round_trips_line(inputs),
        "",
        *(["Missed, by how much:", "", *misses, ""] if misses else ["Every target is met in this run.", ""]),
    ]


def render(inputs: Inputs) -> str:
    arguments = inputs.arguments
    command = (
        f".venv/bin/python -m bench.run --rounds {arguments.rounds} --warm {arguments.warm} "
        f"--login {arguments.login} --batch {arguments.batch} "
        f"--network {','.join(item.name for item in inputs.networks)}"
    )
    sections: list[Callable[[Inputs], list[str]]] = [
        machine,
        cold_section,
        profile_section,
        warm_section,
        network_section,
        restore_section,
        warm_profile_section,
        login_section,
        size_section,
    ]
    lines = [
        "# Performance",
        "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({inputs.minutes:.1f} minutes). "
        "Figures are median / p99 (nearest rank) over interleaved rounds; every ratio compares targets measured "
        "side by side in this run. The machine is noisy: read the spreads.",
        "",
        *targets_section(inputs, verdicts(inputs)),
        # The hand-written part (what was done, what the misses would take, SnapStart), kept beside the code
        # so that regenerating this file keeps it.
        NOTES.read_text(encoding="utf-8").rstrip(),
        "",
    ]
    for section in sections:
        lines += section(inputs)
    return "\n".join(lines)
