"""Apply the Alembic migrations to a database.

    python -m devtools.migrate                     # the configured DATABASE_URL (local SQLite by default)
    python -m devtools.migrate --database-url URL  # e.g. Neon's *direct* (non-pooler) URL

Prints one line, on success as on failure, and never the URL's password: exit 2 for an unusable URL or
setting, 1 when the database refuses or the migration fails (a database at a revision this code does not know
is ahead of it: migrating would fail, so it is not tried). A local `.env` is read as by `make run`.
"""

from __future__ import annotations

import argparse
import os
import sys

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from devtools.env_file import load_env_file
from devtools.paths import MIGRATIONS_DIR, ROOT
from todo_shared.config.database_url import DatabaseUrlError, parse_database_url, redacted
from todo_shared.config.settings import SettingsError, get_settings
from todo_shared.db.engine import build_engine
from todo_shared.db.failures import database_failure
from todo_shared.db.schema import SCHEMA_REVISION, SCHEMA_REVISIONS
from todo_shared.errors import DatabaseAheadOfCode, DatabaseNotReady


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def database_problem(error: BaseException) -> str | None:
    """One line for a database that cannot serve (never the password), or None for anything else."""
    failure = error if isinstance(error, DatabaseNotReady) else database_failure(error)
    return None if failure is None else failure.line


def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade ``database_url`` to ``revision`` in one transaction; ``DatabaseAheadOfCode`` when the database
    is at a revision this code does not know."""
    engine = build_engine(database_url, keep_connections=False)
    try:
        with engine.begin() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current not in SCHEMA_REVISIONS:
                raise DatabaseAheadOfCode(
                    f"the schema is at revision {current}, this code's migrations end at {SCHEMA_REVISION}"
                )
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="database to migrate (default: $DATABASE_URL, else the settings')"
    )
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    url = args.database_url or ""
    try:
        load_env_file()
        url = url or os.environ.get("DATABASE_URL", "").strip() or get_settings().database_url
        parse_database_url(url)
        migrate(url, args.revision)
    except (SettingsError, DatabaseUrlError) as error:
        print(
            f"error: DATABASE_URL: {error}" if isinstance(error, DatabaseUrlError) else f"error: {error}",
            file=sys.stderr,
        )
        return 2
    except (DBAPIError, DatabaseNotReady) as error:
        problem = database_problem(error)
        print(f"error: cannot migrate {redacted(url)}: {problem or first_line(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # one line, as for every other failure (a traceback helps nobody here)
        print(
            f"error: cannot migrate {redacted(url)}: {type(error).__name__}: {first_line(error)}",
            file=sys.stderr,
        )
        return 1
    print(f"migrated {redacted(url)} to {args.revision}", file=sys.stderr)
    return 0


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


if __name__ == "__main__":
    raise SystemExit(main())
