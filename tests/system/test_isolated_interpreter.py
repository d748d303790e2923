"""The kit's isolated interpreter sees what a Lambda container sees: Lambda's path, a context, nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from devtools.lambda_kit.isolated import invoke_isolated, isolated_command

# Loads context.py by path, as every isolated script does, and reports what it can see.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("lambda_context", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.use_lambda_path(*sys.argv[2:5])
importable = {name: importlib.util.find_spec(name) is not None for name in ("devtools", "tests", "todo_shared")}
json.dump({"path": sys.path, "importable": importable}, sys.stdout)
"""


def _code_dirs(root: Path) -> tuple[Path, Path, Path]:
    dirs = root / "task", root / "opt-python", root / "runtime"
    for directory in dirs:
        directory.mkdir()
    return dirs


def test_the_path_is_lambdas_and_the_project_is_out_of_reach(tmp_path: Path) -> None:
    function, layer, runtime = _code_dirs(tmp_path)
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    completed = subprocess.run(
        isolated_command(sys.executable, probe, function, layer, runtime),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(completed.stdout)
    path = seen["path"]
    assert path[:2] == [str(function), str(layer)]
    assert path[-1] == str(runtime)
    assert path[2:-1], "the standard library is between the layer and the runtime"
    assert all(Path(entry).is_relative_to(sys.base_prefix) for entry in path[2:-1]), path
    assert seen["importable"] == {"devtools": False, "tests": False, "todo_shared": False}


def test_invoke_isolated_calls_the_handler_and_names_what_was_compiled(tmp_path: Path) -> None:
    function, layer, runtime = _code_dirs(tmp_path)
    (layer / "layer_module.py").write_text("ANSWER = 'from the layer'\n")
    (function / "app.py").write_text(
        "import layer_module\n"
        "def handler(event, context):\n"
        "    body = [layer_module.ANSWER, event['ping'], context.function_name, context.invoked_function_arn]\n"
        "    return {'statusCode': 200, 'body': body}\n"
    )
    invocation = invoke_isolated(sys.executable, function, layer, runtime, {"ping": "pong"}, {})
    assert invocation.response == {
        "statusCode": 200,
        "body": [
            "from the layer",
            "pong",
            "built-function",
            "arn:aws:lambda:us-east-1:123456789012:function:built-function",
        ],
    }
    # -B: nothing written, so both modules were compiled from source, and nothing else of the kit was.
    assert sorted(invocation.compiled) == sorted([str(function / "app.py"), str(layer / "layer_module.py")])
    assert not (function / "__pycache__").exists()
