"""env.sam-local.json: every setting it is meant to set reaches the functions, and devtools.sam_env writes it.

``sam local`` hands a function only the environment variables the template declares for it; a value in the
env file for any other name is dropped without a word (that is how DATABASE_URL and BETTER_AUTH_SECRET never
arrived, and every sign-up under ``sam local`` failed).
"""

from __future__ import annotations

import copy
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from devtools import sam_env, template
from todo_shared.config.settings import load_settings

URL = "postgresql://postgres@172.17.0.1:6432/todo?sslmode=disable"


def undeclared(document: dict[str, Any]) -> list[str]:
    """``function: NAME`` for each env-file setting a function does not declare (so never receives)."""
    names = sam_env.example_values()
    shared = set(document["Globals"]["Function"]["Environment"]["Variables"])
    missing = []
    for logical_id, resource in document["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        own = set(resource["Properties"].get("Environment", {}).get("Variables", {}))
        missing += [f"{logical_id}: {name}" for name in names if name not in shared | own]
    return missing


def test_the_template_declares_every_setting_of_the_env_file() -> None:
    document = template.load_template()
    assert {"DATABASE_URL", "BETTER_AUTH_SECRET", "ENVIRONMENT"} <= set(sam_env.example_values())
    assert undeclared(document) == []
    # Declared empty: on AWS the *_REF secrets are read instead, and an empty value counts as unset.
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["DATABASE_URL"] == variables["BETTER_AUTH_SECRET"] == ""


def test_a_setting_the_template_does_not_declare_is_caught() -> None:
    document = copy.deepcopy(template.load_template())
    del document["Globals"]["Function"]["Environment"]["Variables"]["BETTER_AUTH_SECRET"]
    functions = [name for name, item in document["Resources"].items() if item["Type"].endswith("::Function")]
    assert undeclared(document) == [f"{name}: BETTER_AUTH_SECRET" for name in functions]


def test_writes_the_example_with_the_url_given_and_a_new_secret(tmp_path: Path) -> None:
    output = tmp_path / "env.sam-local.json"
    assert sam_env.main([f"DATABASE_URL={URL}", "--output", str(output)]) == 0
    values = json.loads(output.read_text())["Parameters"]
    assert set(values) == set(sam_env.example_values())
    assert values["DATABASE_URL"] == URL
    assert values["ENVIRONMENT"] == "production"
    assert values["DATABASE_URL_REF"] == values["BETTER_AUTH_SECRET_REF"] == ""
    assert values["BETTER_AUTH_SECRET"] != sam_env.example_values()["BETTER_AUTH_SECRET"]
    assert load_settings(values).database_url == URL
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    # A second run replaces the file, with a secret of its own.
    assert sam_env.main([f"DATABASE_URL={URL}", "--output", str(output)]) == 0
    assert (
        json.loads(output.read_text())["Parameters"]["BETTER_AUTH_SECRET"] != (values["BETTER_AUTH_SECRET"])
    )


def test_a_name_alone_takes_its_value_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", URL)
    output = tmp_path / "env.json"
    assert sam_env.main(["DATABASE_URL", "--output", str(output)]) == 0
    assert json.loads(output.read_text())["Parameters"]["DATABASE_URL"] == URL


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        ([], "DATABASE_URL is required (the example's value is a placeholder)"),
        ([f"DATABASE_URL={URL}", "DATABASE_URL_RFE=x"], "DATABASE_URL_RFE is not one of"),
        (["DATABASE_URL"], "DATABASE_URL is given without a value and is not set in the environment"),
        (["DATABASE_URL=mysql://db/x"], "DATABASE_URL: unsupported scheme 'mysql'"),
        ([f"DATABASE_URL={URL}", "BETTER_AUTH_SECRET=short"], "BETTER_AUTH_SECRET must be at least 32 bytes"),
    ],
)
def test_refuses_what_the_functions_would_refuse(
    assignments: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)  # other tests' fixtures may have set it
    output = tmp_path / "env.sam-local.json"
    assert sam_env.main([*assignments, "--output", str(output)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {message}")
    assert error.count("\n") == 1
    assert not output.exists()
