"""What both local servers (devtools.serve, devtools.local_gateway) do before serving."""

from __future__ import annotations

import os
from dataclasses import dataclass

from todo_shared.config.settings import Settings, SettingsError, get_settings


class StartupError(Exception):
    """One line naming what is wrong; the caller prints it and exits 2."""


@dataclass(frozen=True)
class LocalRun:
    settings: Settings
    host: str
    port: int


def prepare_local_run(default_port: int) -> LocalRun:
    """Resolve settings, HOST and PORT, and migrate a SQLite database (local runs own theirs)."""
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
        migrate(settings.database_url)
    return LocalRun(settings, os.environ.get("HOST", "127.0.0.1"), port)
