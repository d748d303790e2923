"""The frontend's types: TypeScript generated from the committed OpenAPI document by the real openapi-typescript,
and a frontend-style client (tests/support/typescript/) type-checked against them with tsc, then run.

Each run generates the types afresh from functions/docs/openapi.json (the document `make openapi` writes and the
docs function serves), so the check follows the document: when a response field turns optional, a request field
starts to accept ``null`` or an enum grows, ``client.ts`` or ``contract.ts`` stops compiling, or an
``@ts-expect-error`` line in ``negative.ts`` compiles and tsc reports it unused.

The types are generated three ways, because openapi-typescript's options change what is optional and what may be
sent: its defaults (``defaultNonNullable``: a property with a ``default`` is required, which is why request
schemas say their defaults in words), ``--default-non-nullable false`` (only ``required`` makes a property
present, which is why every response schema lists all its fields) and ``--read-write-markers`` (``readOnly``
properties become ``never`` in request bodies, which is why only ``TaskPublic`` marks them). The same client must
compile under all three.

npm packages (exact versions, package-lock.json) are installed by scripts/ensure-node-tools, once per lock file.
Without Node.js the tests skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devtools.net import running_server

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tests" / "support" / "typescript"
DOCUMENT = ROOT / "functions" / "docs" / "openapi.json"
CLIENT = PACKAGE / "client.ts"
REQUIRED = os.environ.get("CI") == "true"
FLAG_SETS: dict[str, list[str]] = {
    "defaults": [],
    "default-non-nullable-false": ["--default-non-nullable", "false"],
    "read-write-markers": ["--read-write-markers"],
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The packages, installed by scripts/ensure-node-tools (npm ci, skipped while the lock file is unchanged)."""
    result = _run([str(ROOT / "scripts" / "ensure-node-tools")], ROOT, timeout=900)
    if result.returncode == 3 and not REQUIRED:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, f"scripts/ensure-node-tools failed:\n{result.stderr}"
    return Path(result.stdout.strip())


def _generate(node_modules: Path, work: Path, flags: list[str]) -> Path:
    """Types for the committed document, with openapi-typescript ``flags``."""
    out = work / "api.d.ts"
    cli = node_modules / ".bin" / "openapi-typescript"
    # From an empty folder: openapi-typescript reads a redocly.yaml where it is run.
    result = _run([str(cli), str(DOCUMENT), "--output", str(out), *flags], work)
    assert result.returncode == 0, f"openapi-typescript failed:\n{result.stdout}\n{result.stderr}"
    return out


def _tsconfig(work: Path, types: Path, **options: Any) -> Path:
    """The package's tsconfig.json, with the generated types in place of its ``generated/api.d.ts``."""
    config = work / "tsconfig.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(PACKAGE / "tsconfig.json"),
                "compilerOptions": {"paths": {"todo-api-types": [str(types)]}, **options},
            }
        )
    )
    return config


def _tsc(node_modules: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return _run(
        [str(node_modules / ".bin" / "tsc"), "--project", str(config), "--pretty", "false"], config.parent
    )


@pytest.mark.parametrize("flags", FLAG_SETS.values(), ids=FLAG_SETS.keys())
def test_the_client_type_checks_against_types_generated_from_the_document(
    node_modules: Path, tmp_path: Path, flags: list[str]
) -> None:
    types = _generate(node_modules, tmp_path, flags)
    result = _tsc(node_modules, _tsconfig(tmp_path, types))
    assert result.returncode == 0, f"tsc found errors:\n{result.stdout}{result.stderr}"


def test_the_negative_checks_fail_when_the_types_loosen(node_modules: Path, tmp_path: Path) -> None:
    """The check can fail: with the document loosened the way the issue found it (response fields optional,
    ``null`` allowed for a PATCH title, defaults making fields required in a create), tsc reports each of them."""
    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    schemas["TaskPublic"]["required"] = ["id", "title"]
    schemas["TaskUpdate"]["properties"]["title"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    schemas["TaskCreate"]["properties"]["completed"]["default"] = False
    loose = tmp_path / "loose.json"
    loose.write_text(json.dumps(document))
    out = tmp_path / "api.d.ts"
    generated = _run(
        [str(node_modules / ".bin" / "openapi-typescript"), str(loose), "-o", str(out)], tmp_path
    )
    assert generated.returncode == 0, generated.stderr
    result = _tsc(node_modules, _tsconfig(tmp_path, out))
    assert result.returncode != 0
    errors = result.stdout
    assert re.search(r"client\.ts\(\d+,\d+\): error TS2322: Type 'number \| undefined'", errors), errors
    assert re.search(r"negative\.ts\(\d+,\d+\): error TS2578: Unused '@ts-expect-error'", errors), errors
    assert "contract.ts" in errors
    assert "'completed' is missing" in errors or "missing the following properties" in errors


def test_the_client_calls_every_operation_of_the_document() -> None:
    source = CLIENT.read_text()
    called = set(re.findall(r'\.(GET|PUT|POST|DELETE|PATCH)\(\s*"([^"]+)"', source))
    operations = {
        (method.upper(), path)
        for path, item in json.loads(DOCUMENT.read_text())["paths"].items()
        for method in item
        if method in METHODS
    }
    assert operations - called == set()
    assert called - operations == set()


def test_the_client_runs_against_the_local_server(node_modules: Path, tmp_path: Path) -> None:
    """What compiles also works: client.ts compiled to JavaScript and run with Node.js against ``make run``'s
    server, every operation answering as its types say."""
    types = _generate(node_modules, tmp_path, [])
    out = tmp_path / "js"
    config = _tsconfig(tmp_path, types, noEmit=False, outDir=str(out), rootDir=str(PACKAGE))
    compiled = _tsc(node_modules, config)
    assert compiled.returncode == 0, compiled.stdout
    (out / "package.json").write_text(json.dumps({"type": "module"}))
    (out / "node_modules").symlink_to(node_modules)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "BETTER_AUTH_SECRET", "ENVIRONMENT")
    }
    env.update({"LOCAL_STATE_DIR": str(tmp_path / "state"), "ENV_FILE": str(tmp_path / "no.env")})
    node = shutil.which("node")
    assert node is not None
    with running_server("devtools.serve", env) as base:
        result = _run([node, str(out / "client.js"), base], out, timeout=120)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ok"] is True, report
    assert len(report["lines"]) >= 3
