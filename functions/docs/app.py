"""The docs function: Swagger UI and the whole API's OpenAPI document, on AWS as locally.

Each other function's app knows only its own routes, so none of them can describe the whole API. The full
document is generated from all of them at development time (``make openapi``) and shipped beside this
file; a test fails when it no longer matches the code. Serving a file keeps this
function's cold start small: it imports none of the other functions, and needs neither secrets nor database.
One setting changes what the API answers, and the document served says so: ``USER_PATH_TASK_LIST``.

Swagger UI's script and styles are served from here too, at the exact version vendored in ``swagger-ui/``
(``python -m devtools.swagger_ui``), so the page loads nothing from another origin and its Content-Security-
Policy allows only this API (docs/adr/0011-docs-function.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import HTMLResponse, Response

from todo_shared.config.settings import TaskListShape, user_path_task_list
from todo_shared.http.app_factory import API_TITLE, create_app
from todo_shared.http.static_assets import gzipped_file_response
from todo_shared.http.task_lists import describe_user_path_list
from todo_shared.runtime.lambda_handler import make_lambda_handler

HERE = Path(__file__).parent
OPENAPI_DOCUMENT = HERE / "openapi.json"
SWAGGER_UI_DIR = HERE / "swagger-ui"
SWAGGER_UI = json.loads((SWAGGER_UI_DIR / "manifest.json").read_text(encoding="utf-8"))
SWAGGER_UI_VERSION: str = SWAGGER_UI["version"]
# Versioned URLs: a new version is a new URL, so browsers may keep each file for a year.
ASSET_PREFIX = f"/docs/swagger-ui/{SWAGGER_UI_VERSION}"
MEDIA_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}

INITIALIZER = """
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis],
});
"""


def _sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


# Only this API's own files and the inline initializer above run; the page fetches only /openapi.json and
# the operations a reader tries out (same origin); Swagger UI draws some icons from data: URLs.
PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        f"script-src 'self' {_sha256_source(INITIALIZER)}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


def _integrity(name: str) -> str:
    value: str = SWAGGER_UI["files"][name]["integrity"]
    return value


PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{API_TITLE} - docs</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{ASSET_PREFIX}/swagger-ui.css" integrity="{_integrity("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSET_PREFIX}/swagger-ui-bundle.js" integrity="{_integrity("swagger-ui-bundle.js")}"></script>
<script>{INITIALIZER}</script>
</body>
</html>
"""

# In this app's own schema only so that the template/code route check sees them; the served document is
# the other functions' (devtools.functions.combined_app), which leaves this function out.
router = APIRouter(tags=["docs"])
# The page and its files, which the local server serves beside the live document.
ui_router = APIRouter(tags=["docs"])


@cache
def openapi_bytes(shape: TaskListShape = "array") -> bytes:
    committed = OPENAPI_DOCUMENT.read_bytes()
    if shape == "array":  # as committed
        return committed
    described = describe_user_path_list(json.loads(committed), shape)
    return json.dumps(described, indent=2, ensure_ascii=False).encode()


@router.get("/openapi.json")
async def openapi_document() -> Response:
    # A bad value is a 503 naming the setting, as the tasks function answers it.
    return Response(openapi_bytes(user_path_task_list(os.environ)), media_type="application/json")


@ui_router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return HTMLResponse(PAGE, headers={"content-security-policy": PAGE_POLICY})


@ui_router.get("/docs/swagger-ui/{version}/{name}")
async def swagger_ui_file(
    version: str, name: str, accept_encoding: Annotated[str, Header()] = ""
) -> Response:
    if version != SWAGGER_UI_VERSION or name not in MEDIA_TYPES:
        raise HTTPException(status_code=404)
    return gzipped_file_response(
        SWAGGER_UI_DIR / f"{name}.gz", media_type=MEDIA_TYPES[name], accept_encoding=accept_encoding
    )


router.include_router(ui_router)
app = create_app(router, docs=False)
handler = make_lambda_handler(app)
