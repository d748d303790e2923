"""The local API: every function's routes in one process, on the embedded SQLite database by default.

    python -m devtools.serve            # http://localhost:8000 (PORT and HOST honoured), docs at /docs
    python -m devtools.serve --reload   # the same, restarted whenever a file of the code changes (make dev)

Settings come from the environment and ./.env; none are needed. A SQLite database is migrated on start. The
first lines say which secret and which database are used. CORS here follows template.yaml's CorsConfiguration
(on AWS, API Gateway answers it), preflight answered as the local gateway answers it (devtools/cors.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from devtools import template
from devtools.cors import CorsPolicy, LocalCorsMiddleware
from devtools.functions import DOCS_FUNCTION, combined_app, load_function
from devtools.net import browser_base
from devtools.paths import ROOT
from devtools.startup import LocalRun, StartupError, prepare_local_run
from todo_shared.config.settings import Settings
from todo_shared.http.task_lists import describe_user_path_list

DEFAULT_PORT = 8000
# What --reload watches: the code that is served (not .venv, whose thousands of files would be polled too).
RELOAD_DIRS = ("shared", "functions", "devtools")


def build_local_app(settings: Settings) -> FastAPI:
    # The live document at /openapi.json (the docs function on AWS serves the committed copy of the same),
    # shown at /docs by the docs function's own page and files.
    app = combined_app()
    app.include_router(load_function(DOCS_FUNCTION).ui_router, include_in_schema=False)
    # The document says what the list on the spec's path answers with these settings.
    built = app.openapi
    app.openapi = lambda: describe_user_path_list(built(), settings.user_path_task_list)  # type: ignore[method-assign]
    policy = CorsPolicy(template.cors(template.project_template()), settings.frontend_origins)
    app.add_middleware(LocalCorsMiddleware, policy=policy)
    return app


def reloaded_app() -> FastAPI:
    """The app as each process ``--reload`` starts builds it. uvicorn calls this inside its event loop, and each
    function's module answers a priming request on an event loop of its own as it is imported (Mangum, in
    todo_shared.runtime.lambda_handler): so it is built on a thread with a loop of its own. A setting that went
    wrong is one line, and the reloader waits for the next change."""

    def build() -> FastAPI:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return build_local_app(prepare_local_run(default_port=DEFAULT_PORT).settings)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(build).result()
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def announce(run: LocalRun) -> None:
    base = f"http://{run.host}:{run.port}"
    print(f"Todo API on {base} (docs: {base}/docs)", file=sys.stderr)
    cookie_base = browser_base("http", run.host, run.port)
    if cookie_base:
        print(f"  {cookie_base} (use this origin for cookie logins from a browser page)", file=sys.stderr)
    for line in run.banner():
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m devtools.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--reload", action="store_true", help="restart whenever a file of the code changes")
    options = parser.parse_args(argv)
    try:
        run = prepare_local_run(default_port=DEFAULT_PORT)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    announce(run)
    if options.reload:
        uvicorn.run(
            "devtools.serve:reloaded_app",
            factory=True,
            reload=True,
            reload_dirs=[str(ROOT / name) for name in RELOAD_DIRS],
            host=run.host,
            port=run.port,
            log_level="info",
            proxy_headers=False,
        )
        return 0
    uvicorn.run(
        build_local_app(run.settings), host=run.host, port=run.port, log_level="info", proxy_headers=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
