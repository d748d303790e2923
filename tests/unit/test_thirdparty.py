"""Each module of ``todo_shared.thirdparty`` is written against one version of its library: a different
installed version, or a name it relies on gone, fails here first (then re-read the library and re-pin)."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
from types import ModuleType

import pytest

from todo_shared.thirdparty import anyio as anyio_internals
from todo_shared.thirdparty import fastapi as fastapi_internals
from todo_shared.thirdparty import pg8000 as pg8000_internals


def _resolve(dotted: str) -> object:
    """``package.module.Name.attr`` → the object, importing the longest module prefix."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize(
    ("distribution", "module"),
    [("pg8000", pg8000_internals), ("anyio", anyio_internals), ("fastapi", fastapi_internals)],
)
def test_installed_version_is_the_one_the_module_was_written_against(
    distribution: str, module: ModuleType
) -> None:
    assert importlib.metadata.version(distribution) == module.PINNED_VERSION
    assert module.PINNED_VERSION in (module.__doc__ or ""), "the header names the pinned version"


@pytest.mark.parametrize(
    "name", [*pg8000_internals.RELIED_ON, *anyio_internals.RELIED_ON, *fastapi_internals.RELIED_ON]
)
def test_every_private_name_relied_on_still_exists(name: str) -> None:
    _resolve(name)


def test_fastapis_body_parse_refusal_still_has_the_text_we_match() -> None:
    source = inspect.getsource(importlib.import_module(fastapi_internals.BODY_PARSE_ERROR_MODULE))
    assert f'"{fastapi_internals.BODY_PARSE_ERROR_DETAIL}"' in source


def test_an_included_router_still_holds_its_routes_as_registered() -> None:
    resolved = _resolve("fastapi.routing._IncludedRouter.__dataclass_fields__")
    assert isinstance(resolved, dict)
    assert fastapi_internals.INCLUDED_ROUTER_ATTRIBUTE in resolved
