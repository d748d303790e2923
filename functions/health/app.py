"""The health function: liveness without the database, readiness with it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from todo_shared.db.schema import require_current_schema
from todo_shared.errors import database_causes
from todo_shared.http.app_factory import create_app
from todo_shared.http.deps import SessionDep
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter(tags=["health"])
READINESS_503 = (
    f"Not ready, with the cause as the code: {', '.join(f'`{code}`' for code in database_causes())}, or "
    "`database_unavailable` (a passing outage). See Retry-After."
)


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"


@router.get("/health", summary="Liveness: the function runs (no database access)")
async def health() -> Liveness:
    return Liveness()


@router.get(
    "/health/ready",
    summary="Readiness: the database answers and its schema is this code's",
    responses={503: {"description": READINESS_503}},
)
def ready(session: SessionDep) -> Readiness:
    require_current_schema(session)
    return Readiness()


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
