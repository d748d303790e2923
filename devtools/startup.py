"""What both local servers (devtools.serve, devtools.local_gateway) do before serving."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from todo_shared.config.settings import Settings, SettingsError, get_settings
from todo_shared.db.engine import build_engine
from todo_shared.db.failures import database_failure
from todo_shared.db.schema import require_current_schema
from todo_shared.errors import DatabaseNotReady


class StartupError(Exception):
    """One line naming what is wrong; the caller prints it and exits 2."""


@dataclass(frozen=True)
class LocalRun:
    settings: Settings
    host: str
    port: int


def database_problem(error: BaseException) -> str | None:
    """One line for a database that cannot serve (never the password), or None for anything else."""
    failure = error if isinstance(error, DatabaseNotReady) else database_failure(error)
    if failure is None:
        return None
    return f"{failure.summary}" + (f" ({failure.cause})" if failure.cause else "")


def check_database(database_url: str) -> None:
    """Connect and check the schema is at the migrations' head; ``StartupError`` with one line otherwise."""
    engine = build_engine(database_url, keep_connections=False)
    try:
        with Session(engine) as session:
            require_current_schema(session)
    except (DBAPIError, DatabaseNotReady) as error:
        problem = database_problem(error)
        if problem is None:
            raise
        raise StartupError(problem) from None
    finally:
        engine.dispose()


def prepare_local_run(default_port: int) -> LocalRun:
    """Resolve settings, HOST and PORT; migrate a SQLite database (local runs own theirs), and check any other
    is reachable and migrated (it belongs to someone else: `make migrate` is theirs to run)."""
    from devtools.migrate import migrate

    try:
        settings = get_settings()
    except SettingsError as error:
        raise StartupError(str(error)) from None
    raw_port = os.environ.get("PORT", str(default_port))
    try:
        port = int(raw_port)
    except ValueError:
        raise StartupError(f"PORT must be a number, got {raw_port!r}") from None
    if settings.database_url.startswith("sqlite"):
        try:
            migrate(settings.database_url)
        except DBAPIError as error:
            problem = database_problem(error)
            if problem is None:
                raise
            raise StartupError(f"cannot migrate the SQLite database: {problem}") from None
    else:
        check_database(settings.database_url)
    return LocalRun(settings, os.environ.get("HOST", "127.0.0.1"), port)
