"""The layer's import direction holds, and `make lint`'s contract catches an upward import."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.paths import FUNCTIONS_DIR, LAYER_DIR, ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(layer_root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONPATH": str(layer_root), "PATH": "/usr/bin:/bin"},
    )


def test_the_layer_keeps_its_import_contracts() -> None:
    result = _lint_imports(LAYER_DIR)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """Even inside a function: the database code reaching up into the HTTP package is refused."""
    copy = tmp_path / "shared"
    shutil.copytree(
        LAYER_DIR / "todo_shared", copy / "todo_shared", ignore=shutil.ignore_patterns("__pycache__")
    )
    engine = copy / "todo_shared" / "db" / "engine.py"
    engine.write_text(
        engine.read_text()
        + "\n\ndef _upward() -> None:\n    from todo_shared.http import errors  # noqa: F401\n"
    )
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "todo_shared.db.engine -> todo_shared.http.errors" in result.stdout


def test_functions_import_only_the_layer_and_libraries() -> None:
    """No bare sibling imports: a function's folder holds its app.py (and data files), nothing to import."""
    for app in sorted(FUNCTIONS_DIR.glob("*/app.py")):
        siblings = {path.stem for path in app.parent.glob("*.py")} - {"app"}
        assert not siblings, f"{app.parent.name} has modules beside app.py: {sorted(siblings)}"
        for node in ast.walk(ast.parse(app.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                assert not node.module.startswith(("devtools", "tests", "bench")), f"{app}: {node.module}"


def test_entry_points_are_a_screen_long() -> None:
    for app in sorted(FUNCTIONS_DIR.glob("*/app.py")):
        lines = len(app.read_text().splitlines())
        assert lines <= 150, f"{app.relative_to(ROOT)} is {lines} lines: move logic into the layer"
