"""Baseline "straightforward": GET /api/tasks in FastAPI + Mangum + SQLModel, written the obvious way.

What a user following the usual tutorials would deploy: engine and models at import, HTTPBearer, a sync
route, a session per request through Depends, secrets read with boto3 at import.
"""

from __future__ import annotations

import os
from datetime import datetime

import boto3
import jwt
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from mangum import Mangum
from sqlmodel import Field, Session, SQLModel, create_engine, select

DATABASE_URL = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["DATABASE_URL_REF"])[
    "SecretString"
]
SECRET = boto3.client("ssm").get_parameter(Name=os.environ["BASELINE_SECRET_PARAMETER"], WithDecryption=True)[
    "Parameter"
]["Value"]

engine = create_engine(DATABASE_URL.replace("postgresql://", "postgresql+pg8000://", 1), pool_pre_ping=True)


class Task(SQLModel, table=True):
    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str
    title: str
    description: str | None = None
    completed: bool = False
    priority: str = "medium"
    due_date: datetime | None = None
    created_at: datetime
    updated_at: datetime


def get_session():  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        yield session


security = HTTPBearer()


def current_user_id(credentials: HTTPAuthorizationCredentials = Depends(security)) -> str:  # noqa: B008
    try:
        payload = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="Invalid authentication token") from None
    return str(payload["sub"])


app = FastAPI()


@app.get("/api/tasks")
def list_tasks(
    user_id: str = Depends(current_user_id),
    session: Session = Depends(get_session),  # noqa: B008
) -> dict[str, list[Task]]:
    statement = select(Task).where(Task.user_id == user_id).order_by(Task.created_at.desc()).limit(20)  # type: ignore[attr-defined]
    return {"tasks": list(session.exec(statement).all())}


handler = Mangum(app, lifespan="off")
