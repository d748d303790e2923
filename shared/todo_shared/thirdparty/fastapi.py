"""FastAPI's undocumented behaviour we rely on, in one place.

Pinned: fastapi 0.165.0. Relies on the text of the 400 FastAPI raises itself for a body it cannot decode
(``fastapi.routing``: "There was an error parsing the body"), so that answer keeps the API's 400 shape; a
test fails when the installed version is not ``PINNED_VERSION`` or the text is gone from FastAPI's source.
"""

from __future__ import annotations

PINNED_VERSION = "0.165.0"
BODY_PARSE_ERROR_DETAIL = "There was an error parsing the body"
# Where the text is raised, for the test that checks it is still there.
BODY_PARSE_ERROR_MODULE = "fastapi.routing"
