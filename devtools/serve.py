"""The local API: every function's routes in one process, on the embedded SQLite database by default.

    python -m devtools.serve          # http://localhost:8000 (PORT and HOST honoured), docs at /docs

Settings come from the environment and ./.env; none are needed. A SQLite database is migrated on start.
CORS here follows template.yaml's CorsConfiguration (on AWS, API Gateway answers it).
"""

from __future__ import annotations

import sys

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from devtools import template
from devtools.functions import DOCS_FUNCTION, combined_app, load_function
from devtools.net import browser_base
from devtools.startup import StartupError, prepare_local_run
from todo_shared.config.settings import Settings
from todo_shared.http.task_lists import describe_user_path_list


def build_local_app(settings: Settings) -> FastAPI:
    # The live document at /openapi.json (the docs function on AWS serves the committed copy of the same),
    # shown at /docs by the docs function's own page and files.
    app = combined_app()
    app.include_router(load_function(DOCS_FUNCTION).ui_router, include_in_schema=False)
    # The document says what the list on the spec's path answers with these settings.
    built = app.openapi
    app.openapi = lambda: describe_user_path_list(built(), settings.user_path_task_list)  # type: ignore[method-assign]
    cors = template.cors(template.project_template())
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.frontend_origins),
        allow_credentials=cors.allow_credentials,
        allow_methods=list(cors.allow_methods),
        allow_headers=list(cors.allow_headers),
        max_age=cors.max_age,
        expose_headers=list(cors.expose_headers),
    )
    return app


def main() -> int:
    import uvicorn

    try:
        run = prepare_local_run(default_port=8000)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    base = f"http://{run.host}:{run.port}"
    print(f"Todo API on {base} (docs: {base}/docs)", file=sys.stderr)
    cookie_base = browser_base("http", run.host, run.port)
    if cookie_base:
        print(f"  {cookie_base} (use this origin for cookie logins from a browser page)", file=sys.stderr)
    uvicorn.run(
        build_local_app(run.settings), host=run.host, port=run.port, log_level="info", proxy_headers=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
