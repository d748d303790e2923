"""Baseline "floor": GET /api/tasks as a hand-written Lambda handler on pg8000, nothing else.

JWT check (HS256, PyJWT) + the user's 20 newest tasks from PostgreSQL through PgBouncer, in one transaction,
on one kept connection per container. Settings read as Lambda reads them: boto3 from the runtime, secrets
from Secrets Manager and SSM once per container.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
import pg8000.dbapi

_settings: dict[str, str] = {}
_connection: Any = None

_LIST_SQL = (
    "SELECT id, title, description, completed, priority, due_date, created_at, updated_at "
    "FROM tasks WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT 20"
)


def _load_settings() -> dict[str, str]:
    if not _settings:
        import boto3

        database_url = boto3.client("secretsmanager").get_secret_value(
            SecretId=os.environ["DATABASE_URL_REF"]
        )
        secret = boto3.client("ssm").get_parameter(
            Name=os.environ["BASELINE_SECRET_PARAMETER"], WithDecryption=True
        )
        _settings["database_url"] = database_url["SecretString"]
        _settings["secret"] = secret["Parameter"]["Value"]
    return _settings


def _connect(url: str) -> Any:
    parts = urlsplit(url)
    return pg8000.dbapi.connect(
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
        database=parts.path.lstrip("/"),
        timeout=10,
    )


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _response(status: int, body: object) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, default=_json_default),
    }


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    global _connection
    settings = _load_settings()
    header = (event.get("headers") or {}).get("authorization", "")
    if not header.startswith("Bearer "):
        return _response(401, {"detail": "Authentication required"})
    try:
        claims = jwt.decode(
            header[7:], settings["secret"], algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return _response(401, {"detail": "Invalid authentication token"})
    if _connection is None:
        _connection = _connect(settings["database_url"])
    cursor = _connection.cursor()
    cursor.execute(_LIST_SQL, (claims["sub"],))
    columns = [column[0] for column in cursor.description]
    tasks = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    _connection.commit()
    return _response(200, {"tasks": tasks})
