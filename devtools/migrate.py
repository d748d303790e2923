"""Apply the Alembic migrations to a database.

    python -m devtools.migrate                     # the configured DATABASE_URL (local SQLite by default)
    python -m devtools.migrate --database-url URL  # e.g. Neon's *direct* (non-pooler) URL

Exits 2 with one line when the URL or settings are unusable.
"""

from __future__ import annotations

import argparse
import sys

from alembic import command
from alembic.config import Config

from devtools.paths import MIGRATIONS_DIR, ROOT
from todo_shared.config.database_url import DatabaseUrlError
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="database to migrate (default: the configured DATABASE_URL)")
    parser.add_argument("--revision", default="head")
    args = parser.parse_args(argv)
    from todo_shared.config.settings import SettingsError, get_settings

    try:
        url = args.database_url or get_settings().database_url
        migrate(url, args.revision)
    except (SettingsError, DatabaseUrlError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"migrated to {args.revision}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
