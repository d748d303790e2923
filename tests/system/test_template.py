"""template.yaml and the code cannot drift: routes, handlers, layer and settings."""

from __future__ import annotations

import ast
import copy
import os
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi import APIRouter, FastAPI

from devtools import invoke_built, template
from devtools.functions import function_names, load_function
from devtools.paths import FUNCTIONS_DIR, LAYER_DIR
from devtools.route_check import route_mismatches
from todo_shared.config import secrets_extension
from todo_shared.config.settings import (
    Settings,
    SettingsError,
    TaskListShape,
    load_settings,
    user_path_task_list,
)
from todo_shared.http.app_factory import create_app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return template.load_template()


@pytest.fixture(scope="module")
def apps() -> dict[str, FastAPI]:
    return {name: load_function(name).app for name in function_names()}


def test_every_template_route_reaches_its_function_and_every_app_route_is_declared(
    document: dict[str, Any], apps: dict[str, FastAPI]
) -> None:
    assert route_mismatches(document, apps) == []


def test_removing_a_route_from_the_template_is_caught(
    document: dict[str, Any], apps: dict[str, FastAPI]
) -> None:
    mutated = copy.deepcopy(document)
    events = mutated["Resources"]["HealthFunction"]["Properties"]["Events"]
    events.pop("Health")
    events.pop("HealthSlash")
    problems = route_mismatches(mutated, apps)
    assert problems == ["code: health serves GET /health, but template.yaml does not route it there"]


def test_a_route_without_its_trailing_slash_twin_is_caught(
    document: dict[str, Any], apps: dict[str, FastAPI]
) -> None:
    mutated = copy.deepcopy(document)
    mutated["Resources"]["TasksFunction"]["Properties"]["Events"].pop("ListTasksSlash")
    problems = route_mismatches(mutated, apps)
    assert problems == [
        "template: GET /api/tasks has no twin GET /api/tasks/ (a trailing slash is the same route)"
    ]


def test_removing_a_route_from_the_code_is_caught(document: dict[str, Any], apps: dict[str, FastAPI]) -> None:
    health = load_function("health")
    router = APIRouter()
    router.routes.extend(
        route for route in health.router.routes if getattr(route, "path", None) != "/health/ready"
    )
    stripped = create_app(router, docs=False)
    problems = route_mismatches(document, {**apps, "health": stripped})
    assert problems == [
        "template: GET /health/ready → health, but its app has no such route",
        "template: GET /health/ready/ → health, but its app has no such route",
    ]


def test_every_function_is_built_from_its_folder_with_app_handler(document: dict[str, Any]) -> None:
    for name, properties in template.functions(document).items():
        assert properties["Handler"] == "app.handler"
        assert (FUNCTIONS_DIR / name / "app.py").is_file()
        assert callable(load_function(name).handler)


def test_function_module_names_are_unique_across_functions() -> None:
    """All functions share one process locally and one layer on AWS: sibling modules must not collide."""
    seen: dict[str, str] = {}
    for folder in FUNCTIONS_DIR.iterdir():
        for module in folder.glob("*.py"):
            if module.name == "app.py":
                continue
            assert module.stem not in seen, f"{module} and {seen[module.stem]} share a module name"
            seen[module.stem] = str(module)


def _layer(document: dict[str, Any]) -> dict[str, Any]:
    layers = [
        resource
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    ]
    assert len(layers) == 1
    layer: dict[str, Any] = layers[0]
    return layer


def _make_environment() -> dict[str, str]:
    """Without the Makefile's settings, which the shell may have exported: the defaults are what deploys."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in {"LAYER_ARCHITECTURE", "PYTHON", "STRIP", "ARTIFACTS_DIR", "MAKEFLAGS"}
    }


def _layer_build_commands(architecture: str = "arm64", **variables: str) -> list[str]:
    """The commands `sam build` would have shared/Makefile run, without running them (make -n), through the
    architecture's Makefile the template points it to (shared/arch/<architecture>/Makefile)."""
    completed = subprocess.run(
        [
            "make",
            "-n",
            "--no-print-directory",
            "-f",
            str(LAYER_DIR / "arch" / architecture / "Makefile"),
            "build-SharedLayer",
            "ARTIFACTS_DIR=/artifacts",
            *(f"{name}={value}" for name, value in variables.items()),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=LAYER_DIR,
        env=_make_environment(),
    )
    assert completed.returncode == 0, completed.stderr
    # One command per entry (continuation lines joined), without the recipe's comment lines.
    lines = completed.stdout.replace("\\\n", " ").splitlines()
    return [line for line in lines if not line.startswith("#")]


def _command(commands: list[str], needle: str) -> str:
    found = [command for command in commands if needle in command]
    assert len(found) == 1, f"one command with {needle!r} expected in {commands}"
    return found[0]


def test_layer_is_built_by_its_makefile_for_arm64_and_python_3_13(document: dict[str, Any]) -> None:
    layer = _layer(document)
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert document["Globals"]["Function"]["Runtime"] == "python3.13"
    # One architecture for the functions and the layer, arm64 by default: tests/system/test_architecture.py.
    assert template.parameter_values(document)["Architecture"] == "arm64"


def test_layer_makefile_installs_wheels_for_python_3_13_on_arm64() -> None:
    install = _command(_layer_build_commands(PYTHON="python3.13"), "pip install")
    assert install.startswith("python3.13 -m pip install ")
    for option in (
        '--target "/artifacts/python"',
        "--implementation cp",
        "--python-version 3.13",
        "--only-binary=:all:",
        "--platform manylinux2014_aarch64",
        "--no-compile",
        "-r requirements.txt",
    ):
        assert option in install
    assert "x86_64" not in install


def test_layer_makefile_builds_for_x86_64_when_asked() -> None:
    install = _command(_layer_build_commands("x86_64"), "pip install")
    assert "--platform manylinux2014_x86_64" in install
    assert "aarch64" not in install


def test_layer_makefile_refuses_an_unknown_architecture() -> None:
    completed = subprocess.run(
        ["make", "-n", "-f", str(LAYER_DIR / "Makefile"), "build-SharedLayer", "LAYER_ARCHITECTURE=arm"],
        capture_output=True,
        text=True,
        check=False,
        cwd=LAYER_DIR,
        env=_make_environment(),
    )
    assert completed.returncode != 0
    assert 'LAYER_ARCHITECTURE must be arm64 or x86_64, not "arm"' in completed.stderr


def test_layer_makefile_compiles_unchecked_hash_bytecode_after_the_last_change() -> None:
    commands = _layer_build_commands(PYTHON="python3.13")
    compile_all = _command(commands, "compileall")
    assert compile_all.startswith("python3.13 -m compileall ")
    assert "--invalidation-mode unchecked-hash" in compile_all
    assert "-o 0" in compile_all
    assert compile_all.endswith('"/artifacts/python"')
    # Nothing may change the layer after it is compiled (a removed source would leave an orphan .pyc).
    assert commands[-1] == compile_all


def test_layer_makefile_leaves_out_what_the_runtime_provides() -> None:
    removal = _command(_layer_build_commands(), "rm -rf boto3")
    for name in ("boto3", "botocore", "s3transfer", "urllib3"):
        assert f" {name} {name}-*.dist-info" in removal


def test_layer_requirements_do_not_ask_for_what_the_build_removes() -> None:
    """A direct requirement on a runtime-provided distribution would be installed, then silently deleted."""
    runtime_provided = set(invoke_built.make_variable("RUNTIME_PROVIDED"))
    requirements = (LAYER_DIR / "requirements.txt").read_text().splitlines()
    named = {
        re.split(r"[\[=<>!~ ;]", line.strip(), maxsplit=1)[0].lower()
        for line in requirements
        if line.strip() and not line.startswith("#")
    }
    assert "boto3" in runtime_provided
    assert named & runtime_provided == set()


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_our_code_imports_nothing_the_layer_build_removes_or_leaves_uncompiled() -> None:
    """Removed: the import would fail on Lambda only. Left as source: it would be compiled at every cold start."""
    excluded = [
        entry.replace("/", ".")
        for entry in invoke_built.make_variable("DEAD") + invoke_built.make_variable("NOT_COMPILED")
        if "*" not in entry
    ]
    assert "sqlalchemy.testing" in excluded
    sources = [*(LAYER_DIR / "todo_shared").rglob("*.py"), *FUNCTIONS_DIR.glob("*/*.py")]
    offending = sorted(
        f"{path.relative_to(LAYER_DIR.parent)}: {module}"
        for path in sources
        for module in _imported_modules(path)
        if any(module == prefix or module.startswith(f"{prefix}.") for prefix in excluded)
    )
    assert offending == []


def test_http_api_is_on_the_default_stage(document: dict[str, Any]) -> None:
    apis = [
        resource
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Serverless::HttpApi"
    ]
    assert len(apis) == 1
    assert apis[0]["Properties"]["StageName"] == "$default"


def test_snapstart_is_an_option_off_by_default(document: dict[str, Any]) -> None:
    parameter = document["Parameters"]["SnapStart"]
    assert parameter["Default"] == "None"
    assert parameter["AllowedValues"] == ["None", "PublishedVersions"]
    function_globals = document["Globals"]["Function"]
    assert function_globals["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}
    # SnapStart applies to published versions only: the routes must call an alias that follows them.
    assert function_globals["AutoPublishAlias"] == "live"


def test_secrets_reader_is_an_option_powertools_by_default(document: dict[str, Any]) -> None:
    parameter = document["Parameters"]["SecretsReader"]
    assert parameter["Default"] == "powertools"
    assert parameter["AllowedValues"] == ["powertools", "extension"]
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SECRETS_READER"] == {"Ref": "SecretsReader"}
    assert document["Conditions"]["UsesSecretsExtension"] == {
        "Fn::Equals": [{"Ref": "SecretsReader"}, "extension"]
    }
    # The extension gives up on AWS before the reader's deadline, so its error names the store's problem.
    for name in ("SECRETS_MANAGER_TIMEOUT_MILLIS", "SSM_PARAMETER_STORE_TIMEOUT_MILLIS"):
        assert int(variables[name]) / 1000 < secrets_extension.EXTENSION_DEADLINE_SECONDS


def test_the_extension_layer_is_added_to_exactly_the_functions_that_read_secrets(
    document: dict[str, Any],
) -> None:
    conditional = {
        "Fn::If": ["UsesSecretsExtension", {"Ref": "SecretsExtensionLayerArn"}, {"Ref": "AWS::NoValue"}]
    }
    assert document["Globals"]["Function"]["Layers"] == [{"Ref": "SharedLayer"}]
    for name, properties in template.functions(document).items():
        reads_secrets = {"Ref": "SecretsReadPolicy"} in properties.get("Policies", [])
        assert properties.get("Layers", []) == ([conditional] if reads_secrets else []), name
    assert set(template.functions(document)) - {"docs"} == {"health", "auth", "tasks"}


def test_the_default_extension_layer_matches_the_default_architecture(document: dict[str, Any]) -> None:
    """AWS names the arm64 build ...-Extension-Arm64 and the x86_64 one ...-Extension; the ARN is per region."""
    parameter = document["Parameters"]["SecretsExtensionLayerArn"]
    pattern = re.compile(parameter["AllowedPattern"])
    default = parameter["Default"]
    assert pattern.match(default)
    assert template.parameter_values(document)["Architecture"] == "arm64"
    assert default.split(":")[-2].endswith("-Arm64")
    x86_64 = "arn:aws:lambda:eu-west-1:015030872274:layer:AWS-Parameters-and-Secrets-Lambda-Extension:11"
    assert pattern.match(x86_64)
    assert not pattern.match("arn:aws:lambda:us-east-1:123456789012:layer:something-else:1")


def test_the_list_shape_of_the_spec_path_is_a_parameter_array_by_default(document: dict[str, Any]) -> None:
    """Every value the parameter allows is one the setting accepts, and the functions get it."""
    parameter = document["Parameters"]["UserPathTaskList"]
    assert parameter["Default"] == "array"
    assert parameter["AllowedValues"] == list(get_args(TaskListShape))
    for value in parameter["AllowedValues"]:
        assert user_path_task_list({"USER_PATH_TASK_LIST": value}) == value
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["USER_PATH_TASK_LIST"] == {"Ref": "UserPathTaskList"}


DATABASE_FUNCTIONS = ("tasks", "auth", "health")


def test_reserved_concurrency_is_an_optional_parameter_per_database_function_off_by_default(
    document: dict[str, Any],
) -> None:
    """Each function that holds a database connection per container can be capped (docs/database.md, "Sizing to
    the database"); by default none is, and a cap of 0 (which would refuse every request) cannot be given."""
    functions = template.functions(document)
    for name in DATABASE_FUNCTIONS:
        parameter_name = f"{name.capitalize()}ReservedConcurrency"
        parameter = document["Parameters"][parameter_name]
        assert parameter["Default"] == ""
        pattern = re.compile(parameter["AllowedPattern"])
        assert [value for value in ("", "1", "40", "1000") if pattern.fullmatch(value)] == [
            "",
            "1",
            "40",
            "1000",
        ]
        assert not any(pattern.fullmatch(value) for value in ("0", "-1", "01", "ten", "10000"))
        condition = f"Has{parameter_name}"
        assert document["Conditions"][condition] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": parameter_name}, ""]}]
        }
        assert functions[name]["ReservedConcurrentExecutions"] == {
            "Fn::If": [condition, {"Ref": parameter_name}, {"Ref": "AWS::NoValue"}]
        }
    assert "ReservedConcurrentExecutions" not in functions["docs"]  # it never touches the database
    assert "ReservedConcurrentExecutions" not in document["Globals"]["Function"]


TOKEN_PARAMETERS = {
    "FrontendTokenMaxLifetimeMinutes": "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES",
    "FrontendJwtIssuer": "FRONTEND_JWT_ISSUER",
    "FrontendJwtAudience": "FRONTEND_JWT_AUDIENCE",
}
NEON_URL = "postgresql://alex:AbC123dEf@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"


def _deployed_settings(document: dict[str, Any], overrides: dict[str, str]) -> Settings:
    """The settings a deployed function loads with these parameter values (the secrets' values stand in for
    the references the functions read)."""
    variables = template.resolve(
        document["Globals"]["Function"]["Environment"]["Variables"],
        template.parameter_values(document, overrides),
    )
    env = {name: str(value) for name, value in variables.items() if not name.endswith("_REF")}
    env.update(
        {
            "FRONTEND_URL": "https://todo.vercel.app",  # FrontendOrigins, joined by !Join
            "DATABASE_URL": NEON_URL,
            "BETTER_AUTH_SECRET": secrets.token_urlsafe(32),
        }
    )
    return load_settings(env)


def test_the_token_settings_are_parameters_whose_defaults_are_the_settings_defaults(
    document: dict[str, Any],
) -> None:
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    for parameter, setting_name in TOKEN_PARAMETERS.items():
        assert variables[setting_name] == {"Ref": parameter}
    settings = _deployed_settings(document, {})
    assert (
        settings.frontend_token_max_lifetime_minutes
        == Settings.model_fields["frontend_token_max_lifetime_minutes"].default
    )
    assert (settings.frontend_jwt_issuer, settings.frontend_jwt_audience) == (None, None)


def test_every_lifetime_cap_the_template_allows_starts_the_functions(document: dict[str, Any]) -> None:
    """The parameter's range is the setting's, less the values under the API's own tokens' lifetime, which
    would stop every function at start-up (a 503 on every request)."""
    parameter = document["Parameters"]["FrontendTokenMaxLifetimeMinutes"]
    for value in (parameter["MinValue"], parameter["Default"], parameter["MaxValue"]):
        settings = _deployed_settings(document, {"FrontendTokenMaxLifetimeMinutes": str(value)})
        assert settings.frontend_token_max_lifetime_minutes == value
    with pytest.raises(SettingsError, match="JWT_EXPIRES_MINUTES"):
        _deployed_settings(document, {"FrontendTokenMaxLifetimeMinutes": str(parameter["MinValue"] - 1)})
    with pytest.raises(SettingsError, match="FRONTEND_TOKEN_MAX_LIFETIME_MINUTES"):
        _deployed_settings(document, {"FrontendTokenMaxLifetimeMinutes": str(parameter["MaxValue"] + 1)})


@pytest.mark.parametrize("parameter", ["FrontendJwtIssuer", "FrontendJwtAudience"])
def test_an_issuer_or_audience_the_template_allows_is_the_one_checked(
    document: dict[str, Any], parameter: str
) -> None:
    pattern = re.compile(document["Parameters"][parameter]["AllowedPattern"])
    field = TOKEN_PARAMETERS[parameter].lower()
    for value in ("nextjs-frontend", "https://todo.vercel.app", "~" * 255):
        assert pattern.fullmatch(value)
        assert getattr(_deployed_settings(document, {parameter: value}), field) == value
    # What the setting would refuse (a 503 naming it on every request) cannot be deployed, but for one issuer.
    for value in ("é", "tab\there", "x" * 256):
        assert not pattern.fullmatch(value)
    with pytest.raises(SettingsError, match="todo-api"):
        _deployed_settings(document, {"FrontendJwtIssuer": "todo-api"})


def test_every_parameter_is_in_the_readme_table(document: dict[str, Any]) -> None:
    """README, "Deploy to AWS": an operator finds every parameter there."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    named = {name for line in rows for name in re.findall(r"`([A-Za-z]+)`", line.split("|")[1])}
    assert sorted(set(document["Parameters"]) - named) == []
