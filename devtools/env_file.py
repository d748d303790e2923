"""A local run's dotenv file (``.env``, or ``$ENV_FILE``), put into the environment before settings are read.

Read by pydantic-settings' dotenv source, that is by python-dotenv's rules: comments (``KEY=value # note``),
quotes, ``export``, CRLF line ends and a UTF-8 byte order mark are what a user meant them to be. The environment's
own values win; an empty value counts as unset. Never inside Lambda, and not with ``ENVIRONMENT=production``
exported: there only the environment counts. The layer never reads the file (docs/adr/0040-settings-model.md).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from pydantic_settings import BaseSettings, DotEnvSettingsSource, SettingsConfigDict

from todo_shared.config.settings import SettingsError, lookalike_problem


class _EveryName(BaseSettings):
    """No fields and extra names allowed: the dotenv source then hands back every name the file sets."""

    model_config = SettingsConfigDict(extra="allow", case_sensitive=True)


@dataclass(frozen=True)
class EnvFile:
    path: Path
    names: frozenset[str]  # the names whose values came from the file (the environment had none)


def read_env_file(path: Path) -> dict[str, str]:
    """``path``'s non-empty values by python-dotenv's rules, by name."""
    source = DotEnvSettingsSource(
        _EveryName, env_file=path, env_file_encoding="utf-8-sig", case_sensitive=True
    )
    return {name: str(value) for name, value in source().items() if value is not None}


def load_env_file(environ: MutableMapping[str, str] = os.environ) -> EnvFile | None:
    """Put the dotenv file's values into ``environ`` where it has none; None when no file is read. A name in
    the file that looks like a setting but is not one stops here, with the file's name (``SettingsError``)."""
    if environ.get("AWS_LAMBDA_FUNCTION_NAME") or environ.get("ENVIRONMENT", "").strip() == "production":
        return None
    path = Path(environ.get("ENV_FILE", "").strip() or ".env")
    if not path.is_file():
        return None
    try:
        values = read_env_file(path)
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"ENV_FILE {str(path)!r} cannot be read ({type(error).__name__})") from None
    problem = lookalike_problem(values)
    if problem is not None:
        raise SettingsError(f"{path}: {problem}")
    taken = frozenset(name for name in values if name not in environ)
    for name in taken:
        environ[name] = values[name]
    return EnvFile(path, taken)
