"""Checks the *built* artifacts, then runs them the way Lambda runs them, one fresh interpreter per invocation.

    python -m devtools.invoke_built --build-dir .aws-sam/x86_64/build --python python3.13
    python -m devtools.invoke_built --build-dir .aws-sam/build --python python3.13 --package-only

Package checks (shared/Makefile builds the layer; docs/adr/0002-functions-and-layer-build.md): every layer module has an unchecked-hash ``.pyc`` of the runtime's Python next to it (except the
subpackages the Makefile leaves as source on purpose), matching its source; nothing the runtime provides
(boto3, botocore, …) is in the layer; native libraries are for the build's architecture; and the sizes of the
layer and each function, unzipped and zipped, against Lambda's limits and, for the deployed architecture, the
budget of 50 MB unzipped for the layer plus a function.

Invocations, for every entry of ``events/expectations.json`` in order (devtools/lambda_kit/isolated.py): an
isolated Python 3.13 (``-I -S``: no site-packages, no user paths, no PYTHON* variables; ``-B``: like Lambda's
read-only code directories, nothing is written) whose ``sys.path`` is the built function directory
(``/var/task``), the built layer's ``python/`` (``/opt/python``), the standard library, and last a stand-in for
the runtime's own packages (boto3 and its dependencies, pinned as in requirements-run.txt). It imports ``app`` and
calls ``app.handler(event, context)``; the status must be the expected one, and no layer module may be
compiled from source (a stale or missing ``.pyc``).

Settings are given as on ``sam local``: environment variables, ``ENVIRONMENT=production``, a SQLite database
migrated beforehand. The token and user id placeholders in event files are replaced by those returned by the
last event marked ``capture_token`` (as a user would paste them into the event file).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from devtools import template
from devtools.event_sequence import EventOutcome, EventStep, function_resources, replay_events
from devtools.lambda_kit.bytecode import read_header
from devtools.lambda_kit.environment import lambda_environment
from devtools.lambda_kit.isolated import invoke_isolated
from devtools.lambda_kit.runtime import runtime_standin
from devtools.migrate import migrate
from devtools.paths import LAYER_DIR

LAYER = "SharedLayer"
# The budget (docs/adr/0002-functions-and-layer-build.md): the layer plus any one function, unzipped. Lambda's own limits, in the bytes it enforces: 250 MB
# unzipped for a function and its layers, 50 MB zipped for a direct upload.
BUDGET_BYTES = 50_000_000
LAMBDA_UNZIPPED_LIMIT = 262_144_000
LAMBDA_ZIPPED_LIMIT = 52_428_800
# e_machine of an ELF header (offset 18, little-endian) per Lambda architecture.
ELF_MACHINES = {"arm64": 0xB7, "x86_64": 0x3E}


@dataclass(frozen=True, slots=True)
class Interpreter:
    """What the .pyc files must be written for: the target interpreter's cache tag and magic number."""

    path: str
    cache_tag: str
    magic: bytes

    @classmethod
    def probe(cls, path: str) -> Interpreter:
        completed = subprocess.run(
            [
                path,
                "-I",
                "-c",
                "import importlib.util, sys; print(sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex())",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        tag, magic = completed.stdout.split()
        return cls(path=path, cache_tag=tag, magic=bytes.fromhex(magic))


def make_variable(name: str) -> list[str]:
    """A variable of shared/Makefile (the single source of its lists)."""
    # (An exported LAYER_ARCHITECTURE is the build's business, not the lists'.)
    environment = {key: value for key, value in os.environ.items() if key != "LAYER_ARCHITECTURE"}
    completed = subprocess.run(
        ["make", "--no-print-directory", "-s", "-f", str(LAYER_DIR / "Makefile"), f"print-{name}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=LAYER_DIR,
        env=environment,
    )
    return completed.stdout.split()


def built_architecture(build_dir: Path) -> str:
    """The architecture ``sam build`` built the layer in ``build_dir`` for, from its own record of the build
    (build.toml, beside the build folder): the built template still says ``!Ref Architecture``."""
    record = tomllib.loads((build_dir.parent / "build.toml").read_text())
    found = [
        definition["architecture"]
        for definition in record.get("layer_build_definitions", {}).values()
        if definition.get("layer_name") == LAYER
    ]
    if len(found) != 1:
        raise RuntimeError(
            f"{build_dir.parent / 'build.toml'} records {len(found)} builds of {LAYER}, not one"
        )
    architecture = found[0]
    assert isinstance(architecture, str)
    return architecture


def deployed_architecture() -> str:
    """The template's own architecture (its Architecture parameter's default), which is what deploys."""
    document = template.project_template()
    architecture = template.parameter_values(document)["Architecture"]
    assert isinstance(architecture, str)
    return architecture


def tree_size(path: Path) -> tuple[int, int]:
    """Unzipped bytes (the sum of the files, as Lambda counts them) and zipped (deflate) bytes of a folder."""
    files = sorted(item for item in path.rglob("*") if item.is_file())
    unzipped = sum(item.stat().st_size for item in files)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in files:
                archive.write(item, item.relative_to(path))
        zipped = handle.tell()
    return unzipped, zipped


def _names(paths: list[Path], root: Path, limit: int = 5) -> str:
    shown = ", ".join(str(path.relative_to(root)) for path in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def bytecode_problems(layer_python: Path, interpreter: Interpreter, not_compiled: list[str]) -> list[str]:
    """Every module outside ``not_compiled`` has an unchecked-hash .pyc for ``interpreter`` matching its source;
    no other .pyc is shipped."""
    missing: list[Path] = []
    wrong_kind: list[Path] = []
    stale: list[Path] = []
    expected: set[Path] = set()
    left_as_source = tuple(layer_python / prefix for prefix in not_compiled)
    # The source hash is keyed by the magic number: only this interpreter's own files can be re-hashed here.
    can_hash = interpreter.magic == importlib.util.MAGIC_NUMBER
    for source in sorted(layer_python.rglob("*.py")):
        if any(source.is_relative_to(prefix) for prefix in left_as_source):
            continue
        cached = source.parent / "__pycache__" / f"{source.stem}.{interpreter.cache_tag}.pyc"
        expected.add(cached)
        if not cached.is_file():
            missing.append(source)
            continue
        header = read_header(cached)
        if header is None or header.magic != interpreter.magic or not header.unchecked_hash:
            wrong_kind.append(cached)
        elif can_hash and header.source_key != importlib.util.source_hash(source.read_bytes()):
            stale.append(cached)
    extra = sorted(path for path in layer_python.rglob("*.pyc") if path not in expected)
    problems = []
    if missing:
        problems.append(f"{len(missing)} layer modules have no .pyc: {_names(missing, layer_python)}")
    if wrong_kind:
        problems.append(
            f"{len(wrong_kind)} .pyc files are not unchecked-hash for {interpreter.cache_tag}: "
            f"{_names(wrong_kind, layer_python)}"
        )
    if stale:
        problems.append(f"{len(stale)} .pyc files do not match their source: {_names(stale, layer_python)}")
    if extra:
        problems.append(f"{len(extra)} unexpected .pyc files: {_names(extra, layer_python)}")
    return problems


def runtime_provided_problems(layer_python: Path, runtime_provided: list[str]) -> list[str]:
    shipped = sorted(
        entry.name
        for entry in layer_python.iterdir()
        if entry.name in runtime_provided
        or (entry.name.endswith(".dist-info") and entry.name.split("-")[0] in runtime_provided)
    )
    return [f"the layer ships what the runtime provides: {', '.join(shipped)}"] if shipped else []


def architecture_problems(layer_python: Path, architecture: str) -> list[str]:
    machine = ELF_MACHINES[architecture]
    foreign = sorted(
        path
        for path in layer_python.rglob("*.so")
        if int.from_bytes(path.read_bytes()[18:20], "little") != machine
    )
    if foreign:
        return [
            f"{len(foreign)} native libraries are not for {architecture}: {_names(foreign, layer_python)}"
        ]
    return []


def check_package(build_dir: Path, interpreter: Interpreter) -> int:
    """Prints the package checks and sizes; returns the number of problems."""
    architecture = built_architecture(build_dir)
    deployed = deployed_architecture()
    layer_python = build_dir / LAYER / "python"
    problems = [
        *bytecode_problems(layer_python, interpreter, make_variable("NOT_COMPILED")),
        *runtime_provided_problems(layer_python, make_variable("RUNTIME_PROVIDED")),
        *architecture_problems(layer_python, architecture),
    ]
    modules = sum(1 for _ in layer_python.rglob("*.pyc"))
    print(f"layer bytecode: {modules} .pyc files")
    names = [LAYER, *sorted(function_resources().values())]
    sizes = {name: tree_size(build_dir / name) for name in names}
    print(
        f"sizes ({architecture}; MB = 10^6 bytes; Lambda: {LAMBDA_UNZIPPED_LIMIT / 1e6:.0f} MB unzipped for a "
        f"function and its layers, {LAMBDA_ZIPPED_LIMIT / 1e6:.1f} MB zipped per direct upload):"
    )
    layer_unzipped, _ = sizes[LAYER]
    for name in names:
        unzipped, zipped = sizes[name]
        line = f"  {name:<16} unzipped {unzipped / 1e6:7.2f} MB   zipped {zipped / 1e6:6.2f} MB"
        if name != LAYER:
            line += f"   with the layer {(unzipped + layer_unzipped) / 1e6:6.2f} MB unzipped"
        print(line)
        if zipped > LAMBDA_ZIPPED_LIMIT:
            problems.append(f"{name} zipped is over Lambda's direct-upload limit")
        if name != LAYER and unzipped + layer_unzipped > LAMBDA_UNZIPPED_LIMIT:
            problems.append(f"{name} with the layer is over Lambda's unzipped limit")
        # The budget is for what is deployed; another architecture's build only stands in for it here.
        if name != LAYER and architecture == deployed and unzipped + layer_unzipped >= BUDGET_BYTES:
            problems.append(
                f"{name} with the layer is {(unzipped + layer_unzipped) / 1e6:.2f} MB unzipped, "
                f"over the budget of {BUDGET_BYTES / 1e6:.0f} MB"
            )
    for problem in problems:
        print(f"FAIL {problem}")
    if not problems:
        print("package: ok")
    return len(problems)


def invoke_events(build_dir: Path, python: str, runtime_dir: Path) -> int:
    """Runs every events/ file through its built function; returns the number of failures."""
    layer_python = (build_dir / LAYER / "python").resolve()
    secret = secrets.token_urlsafe(48)  # production settings refuse a guessable one
    with tempfile.TemporaryDirectory() as state:
        database_url = f"sqlite:///{state}/built.db"
        migrate(database_url)

        def call(step: EventStep) -> EventOutcome:
            env = lambda_environment(
                step.function,
                {
                    "DATABASE_URL": database_url,
                    "BETTER_AUTH_SECRET": secret,
                    "BCRYPT_ROUNDS": "10",
                    "POWERTOOLS_METRICS_NAMESPACE": "TodoApiBuilt",
                },
            )
            invocation = invoke_isolated(
                python, build_dir.resolve() / step.resource, layer_python, runtime_dir, step.event, env
            )
            from_layer = [path for path in invocation.compiled if path.startswith(str(layer_python))]
            return EventOutcome(
                status=int(invocation.response["statusCode"]),
                body=invocation.response.get("body", ""),
                problem=f"layer modules without usable bytecode: {', '.join(from_layer[:5])}"
                if from_layer
                else None,
                note=f"compiled from source: {len(from_layer)} layer, "
                f"{len(invocation.compiled) - len(from_layer)} function",
            )

        return replay_events(call)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--python", default=sys.executable, help="a Python 3.13 interpreter")
    parser.add_argument(
        "--package-only",
        action="store_true",
        help="only the package checks (a build this machine cannot run)",
    )
    args = parser.parse_args(argv)
    interpreter = Interpreter.probe(args.python)
    print(f"-- package checks: {args.build_dir}")
    failures = check_package(args.build_dir, interpreter)
    if not args.package_only:
        print(
            f"-- invoking the built handlers with every events/ file (isolated {interpreter.cache_tag}, -B)"
        )
        failures += invoke_events(args.build_dir, args.python, runtime_standin(args.python))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
