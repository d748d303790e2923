"""What is not deployed but runs beside it (devtools/, bench/) never imports the tests: the tests use the tools."""

from __future__ import annotations

import ast

import pytest

from devtools.paths import ROOT

TOOLING = ("devtools", "bench")


def _in_tests(module: str) -> bool:
    return module == "tests" or module.startswith("tests.")


def imports_of_tests(source: str) -> list[str]:
    """Every module of the ``tests`` package that ``source`` imports, at any depth of the code."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _in_tests(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _in_tests(node.module):
            found.append(node.module)
    return found


@pytest.mark.parametrize("package", TOOLING)
def test_tooling_does_not_import_the_tests(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imported := imports_of_tests(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"move what they need out of tests/: {offenders}"


def test_every_form_of_importing_the_tests_is_caught() -> None:
    source = (
        "import tests\n"
        "import os, tests.support.auth as auth\n"
        "from tests.support import accounts\n"
        "def later() -> None:\n"
        "    from tests import conftest\n"
        "import testsuite\n"
        "from testing import tests\n"
        "from . import tests\n"
    )
    assert imports_of_tests(source) == ["tests", "tests.support.auth", "tests.support", "tests"]
