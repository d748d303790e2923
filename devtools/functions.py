"""Loads the functions' ``app.py`` modules the way Lambda would, side by side in one process.

In Lambda each function's folder is the code root and its handler is ``app.handler``; here each is
loaded under a unique module name, with its folder on ``sys.path`` for any sibling module it imports.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType

from fastapi import FastAPI

from devtools import template
from devtools.paths import FUNCTIONS_DIR
from todo_shared.http.app_factory import create_app

# Serves the committed OpenAPI document of all the others (functions/docs/app.py).
DOCS_FUNCTION = "docs"


@cache
def load_function(name: str) -> ModuleType:
    folder = FUNCTIONS_DIR / name
    module_name = f"{name}_function_app"
    spec = importlib.util.spec_from_file_location(module_name, folder / "app.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"functions/{name}/app.py not found")
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def function_names() -> list[str]:
    return sorted(template.functions(template.project_template()))


def api_function_names() -> list[str]:
    """Every function that serves API routes."""
    return [name for name in function_names() if name != DOCS_FUNCTION]


def combined_app(*, docs: bool = True) -> FastAPI:
    """Every API function's routes in one app: what `make run` serves and what the docs describe."""
    return create_app(*(load_function(name).router for name in api_function_names()), docs=docs)
