"""Runs inside the isolated interpreter (isolated.py): one handler, one event, then the result file.

argv: context.py's path, function dir, layer python dir, runtime dir, result file; the event on stdin. The
result holds the handler's response and every module compiled from source on the way
(``SourceFileLoader.source_to_code`` is only called when no usable .pyc exists).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from importlib.machinery import SourceFileLoader

TYPE_CHECKING = False  # typing stays out of the interpreter the handler runs in
if TYPE_CHECKING:
    from types import CodeType

context_file, function_dir, layer_dir, runtime_dir, result_path = sys.argv[1:6]
# Loaded before the recorder is installed: only the handler's own imports are counted.
context_spec = importlib.util.spec_from_file_location("lambda_context", context_file)
assert context_spec is not None
assert context_spec.loader is not None
context_module = importlib.util.module_from_spec(context_spec)
context_spec.loader.exec_module(context_module)
context_module.use_lambda_path(function_dir, layer_dir, runtime_dir)

compiled: list[str] = []
_source_to_code = SourceFileLoader.source_to_code


def _recording(loader: SourceFileLoader, data: bytes, path: str, *, _optimize: int = -1) -> CodeType:
    compiled.append(path)
    return _source_to_code(loader, data, path, _optimize=_optimize)


SourceFileLoader.source_to_code = _recording  # type: ignore[method-assign, assignment]  # recorded, then as before

import app  # type: ignore[import-not-found]  # noqa: E402  (the function under test, put on sys.path above)

invocation_context = context_module.FakeLambdaContext(
    "built-function", aws_request_id="built-invoke", log_stream_name="built"
)
result = app.handler(json.load(sys.stdin), invocation_context)
with open(result_path, "w") as handle:
    json.dump({"response": result, "compiled": compiled}, handle)
