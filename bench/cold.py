"""Cold starts of one function only, for a before/after figure: bench.run's cold-start rows, nothing else.

    .venv/bin/python -m bench.cold [--function tasks] [--rounds 20] [--mode compiled] [--build DIR ...]

Each ``--build`` is a SAM build directory (default: this machine's, as bench.run uses it); give two (say a copy of
the build before a change, then the current one) to compare them. The builds take turns within every round, in a
rotating order, so the machine's load falls on all alike, and the figures include each round's difference from
the first build. Everything else is bench.run's: the isolated interpreter, the read-only code directories in the
``fresh`` mode, moto answering the secrets, PgBouncer in front of a fresh database on loopback, the same first
request. About 1.5 s per cold start here.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench import stats
from bench.model import ColdCase
from bench.run import (
    BENCH_SETTINGS,
    PASSWORD,
    Bytecode,
    build_dir,
    copy_code,
    find_python,
    measure_cold,
    read_only,
    read_only_prefix,
    seed,
    start_moto,
    subjects,
    write_spec,
)
from devtools import postgres
from devtools.lambda_kit.environment import lambda_environment
from devtools.lambda_kit.runtime import runtime_standin
from devtools.migrate import migrate
from todo_shared.auth.passwords import hash_password

NETWORK = "loopback"
FUNCTIONS = ("tasks", "auth", "health", "docs")


def cases_for(
    work: Path, builds: list[Path], runtime: Path, function: str, mode: str, seed_data: Any
) -> list[ColdCase]:
    """One case per build: its function and layer copied as bench.run copies them for ``mode``."""
    cases = []
    for index, built in enumerate(builds):
        subject = next(item for item in subjects(built, seed_data, warm=1, login=1) if item.key == function)
        bytecode: Bytecode = "all" if mode == "compiled" else "hash-based"
        root = work / mode / str(index)
        cases.append(
            ColdCase(
                subject,
                "compiled" if mode == "compiled" else "fresh",
                f"{subject.label}, build {index + 1}: {built}",
                copy_code(subject.code_dir, root / function, bytecode=bytecode),
                copy_code(built / "SharedLayer" / "python", root / "layer", bytecode=bytecode),
                copy_code(runtime, root / "runtime", bytecode="all"),
            )
        )
    return cases


def summary(samples: list[dict[str, Any]], key: str) -> str:
    values = [sample[key] for sample in samples]
    low, high = stats.quartiles(values)
    return f"{stats.median(values):7.1f} ms (IQR {low:.1f}–{high:.1f}, p99 {stats.p99(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--function", choices=FUNCTIONS, default="tasks")
    parser.add_argument("--rounds", type=int, default=20, help="cold starts per build")
    parser.add_argument(
        "--mode",
        choices=("compiled", "fresh"),
        default="compiled",
        help="compiled: every module's bytecode written first; fresh: the build as shipped, read-only",
    )
    parser.add_argument("--build", type=Path, action="append", help="a SAM build directory (repeatable)")
    args = parser.parse_args(argv)
    builds = [path.resolve() for path in args.build] if args.build else [build_dir()]
    python = find_python()
    runtime = runtime_standin(python)
    prefix = read_only_prefix()
    work = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    try:
        with postgres.fresh_database() as database, postgres.running_pgbouncer(work / "pgbouncer") as bouncer:
            migrate(postgres.direct_url(database))
            # The cold-start requests never check a password: the cheapest cost will do.
            seed_data = seed(database, hash_password(PASSWORD, 4))
            server, aws_envs, _ = start_moto({NETWORK: bouncer.url(database)})
            try:
                cases = cases_for(work, builds, runtime, args.function, args.mode, seed_data)
                spec = write_spec(work, cases[0].subject)
                env = lambda_environment(args.function, {**BENCH_SETTINGS, **aws_envs[NETWORK]})
                roots = sorted((work / args.mode).iterdir()) if args.mode == "fresh" else []
                with read_only(roots):
                    cold = measure_cold(
                        python,
                        cases,
                        {args.function: spec},
                        {NETWORK: {args.function: env}},
                        rounds=args.rounds,
                        prefix=prefix,
                    )[NETWORK]
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    first = cold[(cases[0].label, cases[0].mode)]
    print(f"\n{args.function} function, cold starts ({args.mode}, {args.rounds} rounds, {NETWORK}):")
    for case in cases:
        samples = cold[(case.label, case.mode)]
        print(f"  {case.label}")
        print(f"    cold start, first request included {summary(samples, 'cold_ms')}")
        print(f"    import                             {summary(samples, 'import_ms')}")
        print(f"    first request                      {summary(samples, 'first_request_ms')}")
        if case is not cases[0]:
            differences = [
                {"cold_ms": mine["cold_ms"] - theirs["cold_ms"]}
                for mine, theirs in zip(samples, first, strict=True)
            ]
            print(f"    minus the first build, per round   {summary(differences, 'cold_ms')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
