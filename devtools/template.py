"""Reads template.yaml: the functions, their HTTP routes, the CORS configuration and parameter values.

The template is the single source of truth for routes and CORS; the local server, the Lambda test client
and the drift tests all read it through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from devtools.paths import TEMPLATE_PATH


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short-form tags (!Ref, !Sub, …) as plain data."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # API Gateway form: /api/tasks/{id}
    function: str  # the function's folder name under functions/

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{[^}/]+\+\}", ".+", self.path)
        regex = re.sub(r"\{[^}/]+\}", "[^/]+", regex)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True, slots=True)
class Cors:
    allow_origins_parameter: str
    allow_credentials: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    max_age: int
    expose_headers: tuple[str, ...] = ()


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    assert isinstance(document, dict)
    return document


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Function folder name → its resource properties."""
    found: dict[str, dict[str, Any]] = {}
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource["Properties"]
            folder = Path(properties["CodeUri"]).name
            found[folder] = properties
    return found


def routes(template: dict[str, Any]) -> list[Route]:
    found = []
    for folder, properties in functions(template).items():
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") == "HttpApi":
                found.append(
                    Route(event["Properties"]["Method"].upper(), event["Properties"]["Path"], folder)
                )
    return found


def cors(template: dict[str, Any]) -> Cors:
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::HttpApi":
            config = resource["Properties"]["CorsConfiguration"]
            return Cors(
                allow_origins_parameter=config["AllowOrigins"]["Ref"],
                allow_credentials=bool(config.get("AllowCredentials")),
                allow_methods=tuple(config["AllowMethods"]),
                allow_headers=tuple(config["AllowHeaders"]),
                max_age=int(config["MaxAge"]),
                expose_headers=tuple(config.get("ExposeHeaders", ())),
            )
    raise LookupError("template.yaml has no AWS::Serverless::HttpApi")


def parameter_values(template: dict[str, Any], overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """The parameters' values as CloudFormation and SAM take them: defaults, then ``overrides``."""
    values = {name: spec["Default"] for name, spec in template["Parameters"].items() if "Default" in spec}
    return {**values, **(overrides or {})}


def resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """``value`` with ``!Ref`` of a parameter and ``!Sub`` over parameters replaced by their values (recursively);
    a reference to anything else is left as it is."""
    if isinstance(value, list):
        return [resolve(item, parameters) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"} and value["Ref"] in parameters:
        return parameters[value["Ref"]]
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(
            r"\$\{([A-Za-z0-9]+)\}",
            lambda match: str(parameters.get(match[1], match[0])),
            value["Fn::Sub"],
        )
    return {key: resolve(item, parameters) for key, item in value.items()}


@cache
def project_template() -> dict[str, Any]:
    return load_template()
