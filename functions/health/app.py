"""The health function: liveness without the database, readiness with it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from todo_shared.http.app_factory import create_app
from todo_shared.http.deps import SessionDep
from todo_shared.runtime.lambda_handler import make_lambda_handler

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"


@router.get("/health", summary="Liveness: the function runs (no database access)")
async def health() -> Liveness:
    return Liveness()


@router.get(
    "/health/ready",
    summary="Readiness: the database answers",
    responses={503: {"description": "The database is unavailable (see Retry-After)."}},
)
def ready(session: SessionDep) -> Readiness:
    session.execute(text("SELECT 1"))
    return Readiness()


app = create_app(router, docs=False)  # the docs function serves the whole API's document
handler = make_lambda_handler(app)
