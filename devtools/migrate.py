"""Apply the Alembic migrations to a database.

    python -m devtools.migrate                     # the configured DATABASE_URL (local SQLite by default)
    python -m devtools.migrate --database-url URL  # e.g. Neon's *direct* (non-pooler) URL

Prints one line, on success as on failure, and never the URL's password: exit 2 for an unusable URL or
setting, 1 when the database refuses or the migration fails.
"""

from __future__ import annotations

import argparse
import os
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from devtools.paths import MIGRATIONS_DIR, ROOT
from devtools.startup import database_problem
from todo_shared.config.database_url import DatabaseUrlError, parse_database_url
from todo_shared.db.engine import build_engine


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Upgrade ``database_url`` to ``revision`` in one transaction."""
    engine = build_engine(database_url, keep_connections=False)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def shown(database_url: str) -> str:
    """The URL with its password masked, for messages."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<DATABASE_URL>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="database to migrate (default: $DATABASE_URL, else the settings')"
    )
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    from todo_shared.config.settings import SettingsError, get_settings

    url = args.database_url or os.environ.get("DATABASE_URL", "").strip()
    try:
        url = url or get_settings().database_url
        parse_database_url(url)
        migrate(url, args.revision)
    except (SettingsError, DatabaseUrlError) as error:
        print(
            f"error: DATABASE_URL: {error}" if isinstance(error, DatabaseUrlError) else f"error: {error}",
            file=sys.stderr,
        )
        return 2
    except DBAPIError as error:
        problem = database_problem(error)
        print(f"error: cannot migrate {shown(url)}: {problem or first_line(error)}", file=sys.stderr)
        return 1
    except Exception as error:  # one line, as for every other failure (a traceback helps nobody here)
        print(
            f"error: cannot migrate {shown(url)}: {type(error).__name__}: {first_line(error)}",
            file=sys.stderr,
        )
        return 1
    print(f"migrated {shown(url)} to {args.revision}", file=sys.stderr)
    return 0


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


if __name__ == "__main__":
    raise SystemExit(main())
