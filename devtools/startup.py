"""What both local servers (devtools.serve, devtools.local_gateway) do before serving."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from devtools.env_file import EnvFile, load_env_file
from devtools.migrate import database_problem, migrate
from todo_shared.config.database_url import redacted
from todo_shared.config.settings import Settings, SettingsError, get_settings
from todo_shared.db.engine import build_engine
from todo_shared.db.schema import require_current_schema
from todo_shared.errors import DatabaseNotReady


class StartupError(Exception):
    """One line naming what is wrong; the caller prints it and exits 2."""


@dataclass(frozen=True)
class LocalRun:
    settings: Settings
    host: str
    port: int
    env_file: EnvFile | None = None

    def banner(self) -> list[str]:
        """Which secret and which database this run uses: where the secret came from and a short fingerprint
        of it (the first 8 hex digits of its SHA-256: compare it with the frontend's, never the secret), the
        database's URL without its password."""
        settings = self.settings
        if settings.key_source == "generated file":
            source = f"generated into {settings.local_state_dir}/dev-secret"
        elif settings.key_source == "secret store":
            source = "read from BETTER_AUTH_SECRET_REF"
        elif self.env_file is not None and "BETTER_AUTH_SECRET" in self.env_file.names:
            source = f"from {self.env_file.path}"
        else:
            source = "from the environment"
        fingerprint = hashlib.sha256(settings.better_auth_secret.encode("utf-8")).hexdigest()[:8]
        return [
            f"  BETTER_AUTH_SECRET {source} (fingerprint {fingerprint})",
            f"  DATABASE_URL {redacted(settings.database_url)}",
        ]


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
    """Read the dotenv file and the settings; migrate a SQLite database (local runs own theirs), and check any
    other is reachable and migrated (it belongs to someone else: `make migrate` is theirs to run)."""
    try:
        env_file = load_env_file()
        settings = get_settings()
    except SettingsError as error:
        raise StartupError(str(error)) from None
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
    return LocalRun(settings, settings.host, settings.port or default_port, env_file)
