"""Inside a Lambda invocation sync routes and dependencies run on the invoking thread; elsewhere on workers."""

from __future__ import annotations

import json
import threading
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.testclient import TestClient

from devtools.lambda_kit.context import FakeLambdaContext
from devtools.lambda_kit.events import http_api_event
from devtools.template import Route
from todo_shared.http.app_factory import create_app
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter()


def dependency_thread() -> int:
    return threading.get_ident()


@router.get("/threads")
def threads(dependency: Annotated[int, Depends(dependency_thread)]) -> dict[str, int]:
    return {"dependency": dependency, "route": threading.get_ident()}


app = create_app(router, docs=False)
handler = make_lambda_handler(app)


def test_a_lambda_invocation_runs_sync_code_on_its_own_thread() -> None:
    event = http_api_event(method="GET", path="/threads", route=Route("GET", "/threads", "test"))
    result = handler(event, FakeLambdaContext(function_name="inline-test"))
    assert result["statusCode"] == 200
    here = threading.get_ident()
    assert json.loads(result["body"]) == {"dependency": here, "route": here}


def test_the_asgi_app_still_runs_sync_code_on_worker_threads() -> None:
    with TestClient(app) as client:
        seen = client.get("/threads").json()
    here = threading.get_ident()
    assert here not in (seen["dependency"], seen["route"])
    # And anyio's own worker thread, not the TestClient's event-loop thread.
    with TestClient(app) as client:
        loop_thread = client.portal.call(lambda: threading.get_ident())  # type: ignore[union-attr]
        seen = client.get("/threads").json()
    assert loop_thread not in (seen["dependency"], seen["route"])
