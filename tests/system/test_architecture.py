"""One architecture for the functions and the layer: template.yaml's Architecture parameter, read by both.

The functions declare it (``Architectures``), and so does the layer: ``CompatibleArchitectures``,
``BuildArchitecture`` (part of ``sam build``'s cache key) and ``ContextPath``, which picks the Makefile that
sets the wheels' platform (shared/arch/<architecture>/Makefile). A layer built for one architecture and
loaded by functions of the other fails at import (its compiled wheels) only once deployed.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from devtools import template
from devtools.paths import FUNCTIONS_DIR, LAYER_DIR, ROOT

SAM = ROOT / ".venv-sam" / "bin" / "sam"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
FUNCTION_TYPE = "AWS::Serverless::Function"


def _make_architecture(makefile: Path) -> str:
    """LAYER_ARCHITECTURE as ``makefile`` (run the way sam build runs it, from shared/) sets it."""
    environment = {name: value for name, value in os.environ.items() if name != "LAYER_ARCHITECTURE"}
    completed = subprocess.run(
        ["make", "--no-print-directory", "-s", "-f", str(makefile), "print-LAYER_ARCHITECTURE"],
        capture_output=True,
        text=True,
        check=True,
        cwd=LAYER_DIR,
        env={**environment, "LAYER_ARCHITECTURE": "not-this-one"},  # an exported value must not leak in
    )
    return completed.stdout.strip()


def architecture_problems(document: dict[str, Any]) -> list[str]:
    """For every value of the Architecture parameter: where a function's architecture, the layer's declared
    ones, its build architecture or the architecture of the Makefile that builds it is another one."""
    problems: list[str] = []
    allowed = document["Parameters"]["Architecture"]["AllowedValues"]
    for architecture in allowed:
        parameters = template.parameter_values(document, {"Architecture": architecture})
        resolved = template.resolve(document, parameters)
        globals_ = resolved.get("Globals", {}).get("Function", {}).get("Architectures")
        for name, resource in resolved["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] == FUNCTION_TYPE:
                declared = properties.get("Architectures", globals_)
                if declared != [architecture]:
                    problems.append(f"Architecture={architecture}: {name} runs on {declared}")
            elif resource["Type"] == LAYER_TYPE:
                metadata = resource.get("Metadata", {})
                if properties.get("CompatibleArchitectures") != [architecture]:
                    problems.append(
                        f"Architecture={architecture}: {name} is declared for "
                        f"{properties.get('CompatibleArchitectures')}"
                    )
                if metadata.get("BuildArchitecture") != architecture:
                    problems.append(
                        f"Architecture={architecture}: {name} is built (and cached) as "
                        f"{metadata.get('BuildArchitecture')}"
                    )
                makefile = ROOT / str(metadata.get("ContextPath", properties["ContentUri"])) / "Makefile"
                built_for = _make_architecture(makefile) if makefile.is_file() else f"{makefile} (missing)"
                if built_for != architecture:
                    problems.append(f"Architecture={architecture}: {name}'s wheels are for {built_for}")
    return problems


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return template.load_template()


def test_functions_and_layer_share_one_architecture_setting(document: dict[str, Any]) -> None:
    assert document["Parameters"]["Architecture"]["AllowedValues"] == ["arm64", "x86_64"]
    assert architecture_problems(document) == []


def test_arm64_stays_what_is_deployed(document: dict[str, Any]) -> None:
    assert template.parameter_values(document)["Architecture"] == "arm64"
    # samconfig.toml's deploy settings do not override it, and only its x86_64 config (for sam local) does.
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for environment, commands in config.items():
        if not isinstance(commands, dict):
            continue
        for command, table in commands.items():
            overrides = table.get("parameters", {}).get("parameter_overrides", "")
            if "Architecture=" in overrides:
                assert environment == "x86_64", f"{environment}.{command} overrides the architecture"
                assert command in ("build", "local_invoke", "local_start_api")


def test_a_layer_built_for_another_architecture_than_the_functions_is_caught(
    document: dict[str, Any],
) -> None:
    mutated = copy.deepcopy(document)
    mutated["Resources"]["SharedLayer"]["Metadata"]["BuildArchitecture"] = "arm64"
    assert architecture_problems(mutated) == [
        "Architecture=x86_64: SharedLayer is built (and cached) as arm64"
    ]


def test_a_layer_whose_makefile_ignores_the_setting_is_caught(document: dict[str, Any]) -> None:
    mutated = copy.deepcopy(document)
    mutated["Resources"]["SharedLayer"]["Metadata"]["ContextPath"] = "shared/arch/arm64"
    assert architecture_problems(mutated) == ["Architecture=x86_64: SharedLayer's wheels are for arm64"]


def test_a_function_with_an_architecture_of_its_own_is_caught(document: dict[str, Any]) -> None:
    mutated = copy.deepcopy(document)
    mutated["Resources"]["DocsFunction"]["Properties"]["Architectures"] = ["x86_64"]
    assert architecture_problems(mutated) == ["Architecture=arm64: DocsFunction runs on ['x86_64']"]


def test_functions_declared_for_a_fixed_architecture_are_caught(document: dict[str, Any]) -> None:
    mutated = copy.deepcopy(document)
    mutated["Globals"]["Function"]["Architectures"] = ["arm64"]
    problems = architecture_problems(mutated)
    functions = [
        name for name, resource in document["Resources"].items() if resource["Type"] == FUNCTION_TYPE
    ]
    assert problems == [f"Architecture=x86_64: {name} runs on ['arm64']" for name in functions]


def _build_architectures(build_dir: Path) -> dict[str, str]:
    """What sam build recorded (build.toml) as the architecture of each function and of the layer it built."""
    record = tomllib.loads((build_dir.parent / "build.toml").read_text())
    found = {}
    for definition in record["function_build_definitions"].values():
        for function in definition["functions"]:
            found[function] = definition["architecture"]
    for definition in record["layer_build_definitions"].values():
        found[definition["layer_name"]] = definition["architecture"]
    return found


def test_sam_builds_cache_the_layer_per_architecture(tmp_path: Path) -> None:
    """The real ``sam build --cached`` on this template, alternating the architecture in one build and cache
    folder: each build's layer comes from the Makefile of its own architecture, never from the other's cache,
    and a repeated build of the same architecture does reuse the cache. The layer's Makefile is a stand-in
    that records the architecture it was run for (the real one downloads wheels); the architecture Makefiles
    that include it are the real ones."""
    if not SAM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the SAM CLI is required in CI (scripts/ensure-sam installs it)", pytrace=False)
        pytest.skip("the SAM CLI is not installed (scripts/ensure-sam)")
    project = tmp_path / "project"
    shutil.copytree(FUNCTIONS_DIR, project / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(LAYER_DIR / "arch", project / "shared" / "arch")
    shutil.copy(ROOT / "template.yaml", project / "template.yaml")
    (project / "shared" / "Makefile").write_text(
        "build-SharedLayer:\n"
        '\tmkdir -p "$(ARTIFACTS_DIR)/python"\n'
        '\techo "$(LAYER_ARCHITECTURE)" > "$(ARTIFACTS_DIR)/python/architecture.txt"\n'
    )
    python = subprocess.run(
        [str(ROOT / "scripts/find-python")], capture_output=True, text=True, check=True
    ).stdout.strip()
    environment = {
        "PATH": f"{Path(python).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "SAM_CLI_TELEMETRY": "0",
    }
    build_dir = project / ".aws-sam" / "build"

    def build(architecture: str) -> str:
        completed = subprocess.run(
            [
                str(SAM),
                "build",
                "--cached",
                "--cache-dir",
                str(project / ".aws-sam" / "cache"),
                "--build-dir",
                str(build_dir),
                "--parameter-overrides",
                f"Architecture={architecture}",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=project,
            env=environment,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert (build_dir / "SharedLayer/python/architecture.txt").read_text().strip() == architecture
        assert set(_build_architectures(build_dir).values()) == {architecture}
        return completed.stdout + completed.stderr

    first = build("arm64")
    assert "Cache is invalid" in first
    other = build("x86_64")
    assert "Cache is invalid, running build and copying resources for following layers (SharedLayer)" in other
    again = build("x86_64")
    assert "Valid cache found, copying previously built resources for following layers (SharedLayer)" in again
    back = build("arm64")
    assert "Cache is invalid, running build and copying resources for following layers (SharedLayer)" in back
