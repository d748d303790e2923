"""template.yaml and the code cannot drift: routes, handlers, layer and settings."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from devtools import template
from devtools.functions import function_names, load_function
from devtools.paths import FUNCTIONS_DIR
from devtools.route_check import route_mismatches
from todo_shared.app_factory import create_app


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
    events.pop(next(iter(events)))
    problems = route_mismatches(mutated, apps)
    assert len(problems) == 1
    assert problems[0].startswith("code: health serves GET")


def test_removing_a_route_from_the_code_is_caught(document: dict[str, Any], apps: dict[str, FastAPI]) -> None:
    health = load_function("health")
    router = APIRouter()
    router.routes.extend(
        route for route in health.router.routes if getattr(route, "path", None) != "/health/ready"
    )
    stripped = create_app(router, docs=False)
    problems = route_mismatches(document, {**apps, "health": stripped})
    assert problems == ["template: GET /health/ready → health, but its app has no such route"]


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


def test_layer_is_built_by_sam_for_python_3_13(document: dict[str, Any]) -> None:
    layers = [
        resource
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Serverless::LayerVersion"
    ]
    assert len(layers) == 1
    assert layers[0]["Properties"]["ContentUri"] == "shared/"
    assert layers[0]["Metadata"]["BuildMethod"] == "python3.13"
    assert document["Globals"]["Function"]["Runtime"] == "python3.13"


def test_http_api_is_on_the_default_stage(document: dict[str, Any]) -> None:
    apis = [
        resource
        for resource in document["Resources"].values()
        if resource["Type"] == "AWS::Serverless::HttpApi"
    ]
    assert len(apis) == 1
    assert apis[0]["Properties"]["StageName"] == "$default"
