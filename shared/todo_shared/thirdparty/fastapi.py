"""FastAPI's undocumented behaviour we rely on, in one place.

Pinned: fastapi 0.165.0. Relies on the text of the 400 FastAPI raises itself for a body it cannot decode
(``fastapi.routing``: "There was an error parsing the body"), so that answer keeps the API's 400 shape, and on
how an included router sits in its parent's routes (``fastapi.routing._IncludedRouter``, whose
``original_router`` holds the routes as registered); a test fails when the installed version is not
``PINNED_VERSION`` or either is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from starlette.routing import BaseRoute

PINNED_VERSION = "0.165.0"
RELIED_ON = ("fastapi.routing._IncludedRouter.__dataclass_fields__",)
INCLUDED_ROUTER_ATTRIBUTE = "original_router"
BODY_PARSE_ERROR_DETAIL = "There was an error parsing the body"
# Where the text is raised, for the test that checks it is still there.
BODY_PARSE_ERROR_MODULE = "fastapi.routing"


def routes_in_order(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route in the order the app matches them, through included routers (which FastAPI keeps as one
    entry holding the router as registered). Routers are included without a prefix in this project, so each
    route's ``path`` is the one it answers."""
    for route in routes:
        included = getattr(route, INCLUDED_ROUTER_ATTRIBUTE, None)
        if included is None:
            yield route
        else:
            yield from routes_in_order(included.routes)
