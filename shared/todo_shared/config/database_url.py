"""``DATABASE_URL`` as users give it, checked and translated for the driver.

Accepted exactly as Neon prints it (``postgresql://user:pw@ep-…-pooler.…/db?sslmode=require&channel_binding=require``)
and turned into a ``postgresql+pg8000`` URL: SQLAlchemy would hand libpq's query parameters to
``pg8000.connect()``, which rejects them, so they become a verifying TLS context and a socket timeout instead.
"""

from __future__ import annotations

import ipaddress
import re
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
    # sslmode=disable: not even the opportunistic, unverified TLS pg8000 tries when given no context.
    plaintext_only: bool = False
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


def _raw_userinfo_problem(raw: str) -> str | None:
    """Why the user name or password of ``raw`` cannot be read as the user meant, or None.

    ``@ / ? # % :`` in a password must be percent-encoded: otherwise SQLAlchemy (like libpq) reads part of the
    password as the host (``user:p@ss@host``), or the URL splits elsewhere than meant. The host starts after the
    last ``@`` before the database name, so everything before it is the user information, whatever it holds.
    The message names no character and no part of the password."""
    scheme, separator, rest = raw.partition("://")
    if not separator or scheme.lower() not in POSTGRES_SCHEMES:
        return None
    query_start = rest.find("?")
    at = rest.rfind("@", 0, query_start if query_start >= 0 else len(rest))
    if at < 0:
        return None
    userinfo = rest[:at]
    _user, _, password = userinfo.partition(":")
    bad_escape = re.search(r"%(?![0-9A-Fa-f]{2})", userinfo)
    if any(char in userinfo for char in "@/?#") or ":" in password or bad_escape:
        return (
            "the user name or password holds a character that must be percent-encoded "
            "(@ as %40, / as %2F, % as %25, : as %3A, ? as %3F, # as %23)"
        )
    return None


def parse_database_url(raw: str) -> DatabaseTarget:
    """Translate a libpq-style or SQLite URL into a ``DatabaseTarget``."""
    problem = _raw_userinfo_problem(raw.strip())
    if problem is not None:
        raise DatabaseUrlError(problem)
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
    return DatabaseTarget(
        url=driver_url, use_tls=use_tls, plaintext_only=sslmode == "disable", connect_timeout=timeout
    )


def redacted(raw: str) -> str:
    """``raw`` as the user wrote it (scheme, user, host, port, database, query), the password masked, for
    messages; a placeholder when it cannot be read without risking a part of the password."""
    if _raw_userinfo_problem(raw.strip()) is not None:
        return "<DATABASE_URL>"
    try:
        return make_url(raw.strip()).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<DATABASE_URL>"
