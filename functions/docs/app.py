"""The docs function: Swagger UI and the whole API's OpenAPI document, on AWS as locally.

Each other function's app knows only its own routes, so none of them can describe the whole API. The full
document is generated from all of them at development time (``make openapi``) and shipped beside this
file; a test fails when it no longer matches the code. Serving a file keeps this
function's cold start small: it imports none of the other functions, and needs neither secrets nor database.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

from todo_shared.http.app_factory import API_TITLE, create_app
from todo_shared.runtime.lambda_handler import make_lambda_handler

OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")

# In this app's own schema only so that the template/code route check sees them; the served document is
# the other functions' (devtools.functions.combined_app), which leaves this function out.
router = APIRouter(tags=["docs"])


@cache
def openapi_bytes() -> bytes:
    return OPENAPI_DOCUMENT.read_bytes()


@router.get("/openapi.json")
async def openapi_document() -> Response:
    return Response(openapi_bytes(), media_type="application/json")


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{API_TITLE} - docs")


app = create_app(router, docs=False)
handler = make_lambda_handler(app)
