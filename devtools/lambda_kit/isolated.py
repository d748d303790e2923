"""A handler run the way Lambda runs it: a fresh interpreter that sees only Lambda's import path.

``python -I -S``: no site-packages, no user paths, no PYTHON* variables, not even the script's own folder on
``sys.path``, so nothing of the project is importable. Every script run so (bootstrap_invoke.py here,
bench/coldstart_worker.py) takes the same first four arguments: the path of context.py, which it loads by
path, then the function, layer and runtime directories it puts on ``sys.path`` in Lambda's order.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTEXT_FILE = Path(__file__).with_name("context.py")
BOOTSTRAP_INVOKE = Path(__file__).with_name("bootstrap_invoke.py")


def isolated_command(
    python: str,
    script: Path,
    function_dir: Path,
    layer_dir: Path,
    runtime_dir: Path,
    *arguments: str,
    flags: Sequence[str] = (),
) -> list[str]:
    """``python -I -S [flags] script context.py function layer runtime arguments…``."""
    return [
        python,
        "-I",
        "-S",
        *flags,
        str(script),
        str(CONTEXT_FILE),
        str(function_dir),
        str(layer_dir),
        str(runtime_dir),
        *arguments,
    ]


@dataclass(frozen=True, slots=True)
class Invocation:
    response: dict[str, Any]
    compiled: list[str]  # source files Python compiled because it found no usable .pyc


def invoke_isolated(
    python: str,
    function_dir: Path,
    layer_dir: Path,
    runtime_dir: Path,
    event: dict[str, Any],
    env: Mapping[str, str],
) -> Invocation:
    """``app.handler(event, context)`` once, in a fresh isolated interpreter that writes nothing (``-B``, as
    Lambda's code directories are read-only)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as result_file:
        completed = subprocess.run(
            isolated_command(
                python, BOOTSTRAP_INVOKE, function_dir, layer_dir, runtime_dir, result_file.name, flags=["-B"]
            ),
            input=json.dumps(event),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{function_dir.name} crashed:\n{completed.stderr[-4000:]}")
        result = json.loads(Path(result_file.name).read_text())
    return Invocation(response=result["response"], compiled=result["compiled"])
