"""``DATABASE_URL`` as users give it, checked and translated for the driver.

Accepted exactly as Neon prints it (``postgresql://user:pw@ep-…-pooler.…/db?sslmode=require&channel_binding=require``)
and turned into a ``postgresql+pg8000`` URL: SQLAlchemy would hand libpq's query parameters to
``pg8000.connect()``, which rejects them, so they become a verifying TLS context and a socket timeout instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+pg8000"})
TLS_SSLMODES = frozenset({"require", "verify-ca", "verify-full", "prefer", "allow"})
KNOWN_QUERY_KEYS = frozenset({"sslmode", "channel_binding", "connect_timeout"})
LOOPBACK_NAMES = frozenset({"localhost"})


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` cannot be used. The message never repeats the password."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """What ``create_engine`` needs: a driver URL and how to connect."""

    url: URL
    use_tls: bool = False
    connect_timeout: float | None = None
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_database_url(raw: str) -> DatabaseTarget:
    """Translate a libpq-style or SQLite URL into a ``DatabaseTarget``."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise DatabaseUrlError("not a URL (expected postgresql://… or sqlite:///…)") from None
    scheme = url.drivername
    if scheme == "sqlite":
        if not url.database or url.database == ":memory:":
            raise DatabaseUrlError("a SQLite URL needs a file path, e.g. sqlite:///./todo.db")
        return DatabaseTarget(url=url)
    if scheme not in POSTGRES_SCHEMES:
        raise DatabaseUrlError(f"unsupported scheme {scheme!r} (expected postgresql:// or sqlite:///)")
    if not url.host:
        raise DatabaseUrlError("a PostgreSQL URL needs a host")
    if not url.database:
        raise DatabaseUrlError("a PostgreSQL URL needs a database name")
    query = {key: (value if isinstance(value, str) else value[-1]) for key, value in url.query.items()}
    unknown = sorted(set(query) - KNOWN_QUERY_KEYS)
    if unknown:
        raise DatabaseUrlError(f"unsupported query parameter(s): {', '.join(unknown)}")
    sslmode = query.get("sslmode")
    if sslmode is not None and sslmode not in TLS_SSLMODES | {"disable"}:
        raise DatabaseUrlError(f"unsupported sslmode {sslmode!r}")
    if query.get("channel_binding", "prefer") not in ("require", "prefer", "disable"):
        raise DatabaseUrlError(f"unsupported channel_binding {query['channel_binding']!r}")
    # Remote hosts always get verified TLS (stricter than libpq's "require", which skips verification);
    # plaintext only on loopback or when asked for with sslmode=disable.
    use_tls = sslmode in TLS_SSLMODES or (sslmode is None and not _is_loopback(url.host))
    if query.get("channel_binding") == "require" and not use_tls:
        raise DatabaseUrlError("channel_binding=require needs TLS (sslmode=require)")
    timeout: float | None = None
    if "connect_timeout" in query:
        try:
            timeout = float(query["connect_timeout"])
        except ValueError:
            raise DatabaseUrlError("connect_timeout must be a number of seconds") from None
    driver_url = url.set(drivername="postgresql+pg8000", query={})
    return DatabaseTarget(url=driver_url, use_tls=use_tls, connect_timeout=timeout)
