"""Settings: environment, a local ``.env``, and in Lambda secrets from Secrets Manager or SSM.

Settings are resolved once per process on first use (``get_settings``) and refuse unsafe values with a
``SettingsError`` whose message is one line naming the setting.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from todo_shared import lifecycle
from todo_shared.config.database_url import DatabaseUrlError, parse_database_url
from todo_shared.errors import ConfigurationError

Environment = Literal["local", "production"]
# How *_REF secrets are read: Powertools Parameters (boto3), or the Parameters and Secrets Lambda Extension.
SecretsReader = Literal["powertools", "extension"]
# What GET /api/{user_id}/tasks answers: a bare JSON array of tasks, or the object /api/tasks answers
# (docs/adr/0035-task-list-shape-per-path-style.md).
TaskListShape = Literal["array", "object"]

MIN_SECRET_BYTES = 32
# Values copied from examples and guides; refused everywhere but local development.
# Every value a doc or example in this repository shows for the secret (a test scans the repository, so a new
# example cannot slip through), compared case-insensitively; refused everywhere but local development.
PLACEHOLDER_SECRETS = frozenset(
    {
        "your-secret-key-min-32-chars-here",
        "change-me-change-me-change-me-change-me",
        "changeme-changeme-changeme-changeme",
        "replace-with-the-output-of-openssl-rand-base64-48",
    }
)
# A secret an attacker could guess: too few different characters ("a" * 32, "password" * 4), a short unit
# repeated ("abcdefghij" * 4), or too little entropy for its length. `openssl rand -base64 32` and `-hex 32` pass with room to spare.
MIN_DISTINCT_SECRET_CHARACTERS = 10
MIN_SECRET_ENTROPY_BITS = 96
DEFAULT_FRONTEND_ORIGIN = "http://localhost:3000"
DEFAULT_JWT_EXPIRES_MINUTES = 15
MAX_TOKEN_LIFETIME_MINUTES = 60 * 24 * 30
# The longest lifetime (exp - iat) of a token this API accepts: a frontend's HS256 and Better Auth's, and ours
# too (docs/adr/0006-tokens.md). Seven days: Better Auth's session default, which frontends mirror.
DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES = 7 * 24 * 60
# Our tokens' iss (todo_shared.auth.tokens.ISSUER): a frontend's tokens cannot be pinned to it.
API_ISSUER = "todo-api"
MAX_CLAIM_SETTING_LENGTH = 255
PRODUCTION_MIN_BCRYPT_ROUNDS = 10


class SettingsError(ConfigurationError):
    """A missing or unsafe setting. ``str(error)`` is one line that names the setting."""


@dataclass(frozen=True, slots=True)
class Settings:
    environment: Environment
    # repr=False keeps secrets out of logs and tracebacks.
    database_url: str = field(repr=False)
    better_auth_secret: str = field(repr=False)
    better_auth_url: str | None
    frontend_origins: tuple[str, ...]
    jwt_expires_minutes: int
    session_idle_days: int
    session_max_days: int
    frontend_token_max_lifetime_minutes: int
    # When set, a frontend's HS256 token must carry exactly this iss / aud (unset: not checked).
    frontend_jwt_issuer: str | None
    frontend_jwt_audience: str | None
    bcrypt_rounds: int
    db_timeout_seconds: float
    db_pool_size: int
    user_path_task_list: TaskListShape = "array"
    # All of a request's database waits together (docs/adr/0037-request-deadline.md).
    request_deadline_seconds: float = 10.0


def is_guessable_secret(secret: str) -> bool:
    """True for a secret of trivially low entropy: few distinct characters, or little Shannon entropy in all
    (an estimate from the secret's own character frequencies, so it errs on the generous side)."""
    counts = Counter(secret)
    if len(counts) < MIN_DISTINCT_SECRET_CHARACTERS:
        return True
    for size in range(1, len(secret) // 2 + 1):
        if secret == (secret[:size] * (len(secret) // size + 1))[: len(secret)]:
            return True
    total = len(secret)
    bits = -sum(count * math.log2(count / total) for count in counts.values())
    return bits < MIN_SECRET_ENTROPY_BITS


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``KEY=value`` file (comments, ``export`` and surrounding quotes allowed)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _default_environment(env: dict[str, str]) -> Environment:
    return "production" if env.get("AWS_LAMBDA_FUNCTION_NAME") else "local"


def _int_setting(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float_setting(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _claim_setting(env: dict[str, str], name: str) -> str | None:
    """An optional value a token claim must equal: printable ASCII, at most ``MAX_CLAIM_SETTING_LENGTH``."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if len(value) > MAX_CLAIM_SETTING_LENGTH or not all(" " <= char <= "~" for char in value):
        raise SettingsError(
            f"{name} must be at most {MAX_CLAIM_SETTING_LENGTH} printable ASCII characters, got {value[:40]!r}"
        )
    return value


def _origin(value: str, name: str) -> str:
    origin = value.strip().rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise SettingsError(f"{name} must be an origin such as https://app.example.com, got {value!r}")
    return origin


def _state_dir(path: Path) -> Path:
    """The local state directory, created on first use; one line when it cannot be (a read-only code
    directory, as in a Lambda container started with ENVIRONMENT=local)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(
            f"LOCAL_STATE_DIR {str(path)!r} cannot be created ({error.strerror or type(error).__name__}): "
            "set LOCAL_STATE_DIR to a writable directory, or DATABASE_URL and BETTER_AUTH_SECRET"
        ) from None
    return path


def _local_state(state_dir: Path, env: dict[str, str], setting: str) -> Path:
    """``state_dir`` for the local default of ``setting`` (a SQLite file, the dev secret), which lives there.
    Inside a Lambda function (``sam local`` with ``ENVIRONMENT=local``) it would be the code directory: never
    written, it is read-only there."""
    task_root = env.get("LAMBDA_TASK_ROOT", "").strip()
    if task_root and state_dir.resolve().is_relative_to(Path(task_root).resolve()):
        raise SettingsError(
            f"{setting} is not set, and its local default would be written into the function's code "
            f"directory ({state_dir.resolve()}); set {setting}"
        )
    return state_dir


def _local_secret(state_dir: Path) -> str:
    """A random dev secret, generated once and kept in a git-ignored file."""
    path = _state_dir(state_dir) / "dev-secret"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise SettingsError(
            f"LOCAL_STATE_DIR: cannot write {str(path)!r} ({error.strerror or type(error).__name__})"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _secrets_reader(env: dict[str, str]) -> SecretsReader:
    raw = env.get("SECRETS_READER", "").strip() or "powertools"
    if raw not in ("powertools", "extension"):
        raise SettingsError(f"SECRETS_READER must be 'powertools' or 'extension', got {raw!r}")
    return "extension" if raw == "extension" else "powertools"


def user_path_task_list(env: dict[str, str]) -> TaskListShape:
    """``USER_PATH_TASK_LIST``: ``array`` (the default) or ``object``."""
    raw = env.get("USER_PATH_TASK_LIST", "").strip().lower() or "array"
    if raw not in ("array", "object"):
        raise SettingsError(f"USER_PATH_TASK_LIST must be 'array' or 'object', got {raw!r}")
    return "object" if raw == "object" else "array"


def _secret_value(env: dict[str, str], name: str) -> str | None:
    """``NAME_REF`` (Secrets Manager / SSM reference) wins over the plain ``NAME`` variable."""
    reference = env.get(f"{name}_REF", "").strip()
    if reference:
        reader = _secrets_reader(env)
        # Imported here: only containers that use secret references pay for a reader (boto3 for powertools).
        from todo_shared.config.secrets import SecretStoreError

        try:
            if reader == "extension":
                from todo_shared.config import secrets_extension

                return secrets_extension.read_secret(reference, setting=name, env=env)
            from todo_shared.config.secrets import read_secret

            return read_secret(reference, setting=name)
        except SecretStoreError as error:
            raise SettingsError(f"{name}_REF: {error}") from None
    value = env.get(name, "").strip()
    return value or None


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build and validate settings from ``env`` (default: ``os.environ`` over a local ``.env``)."""
    if env is None:
        env = dict(os.environ)
    environment_raw = env.get("ENVIRONMENT", "").strip() or _default_environment(env)
    if environment_raw not in ("local", "production"):
        raise SettingsError(f"ENVIRONMENT must be 'local' or 'production', got {environment_raw!r}")
    environment: Environment = "local" if environment_raw == "local" else "production"
    state_dir = Path(env.get("LOCAL_STATE_DIR", "").strip() or ".local")

    database_url = _secret_value(env, "DATABASE_URL")
    if database_url is None:
        if environment != "local":
            raise SettingsError("DATABASE_URL is required (or DATABASE_URL_REF naming a secret)")
        database_url = (
            f"sqlite:///{(_state_dir(_local_state(state_dir, env, 'DATABASE_URL')) / 'todo.db').resolve()}"
        )
    try:
        parse_database_url(database_url)
    except DatabaseUrlError as error:
        raise SettingsError(f"DATABASE_URL: {error}") from None

    auth_secret = _secret_value(env, "BETTER_AUTH_SECRET")
    if auth_secret is None:
        if environment != "local":
            raise SettingsError("BETTER_AUTH_SECRET is required (or BETTER_AUTH_SECRET_REF naming a secret)")
        auth_secret = _local_secret(_local_state(state_dir, env, "BETTER_AUTH_SECRET"))
    secret_bytes = len(auth_secret.encode("utf-8"))
    if secret_bytes < MIN_SECRET_BYTES:
        raise SettingsError(
            f"BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes, got {secret_bytes}"
        )
    if environment != "local":
        if auth_secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise SettingsError("BETTER_AUTH_SECRET is a placeholder from the docs; generate a real one")
        if is_guessable_secret(auth_secret):
            raise SettingsError(
                "BETTER_AUTH_SECRET is too easy to guess (too few different characters); "
                "generate one with: openssl rand -base64 48"
            )

    better_auth_url_raw = env.get("BETTER_AUTH_URL", "").strip()
    better_auth_url = _origin(better_auth_url_raw, "BETTER_AUTH_URL") if better_auth_url_raw else None
    if better_auth_url is not None and environment != "local" and urlsplit(better_auth_url).scheme != "https":
        # Its JWKS decides whose tokens are accepted: fetched over plain http, anyone on the path could
        # publish keys. Local Better Auth runs on http://localhost:3000, so local runs allow it.
        raise SettingsError(
            f"BETTER_AUTH_URL must use https outside local development, got {better_auth_url_raw!r}"
        )

    origins = [
        _origin(item, "FRONTEND_URL") for item in env.get("FRONTEND_URL", "").split(",") if item.strip()
    ]
    # Only local development trusts http://localhost:3000 by default. Elsewhere an origin is trusted only when
    # FRONTEND_URL names it, localhost included: any page on a user's own machine would otherwise pass CORS with
    # credentials and the cookie's CSRF check. Without FRONTEND_URL no origin is trusted (bearer clients work).
    if environment == "local" and DEFAULT_FRONTEND_ORIGIN not in origins:
        origins.append(DEFAULT_FRONTEND_ORIGIN)

    bcrypt_rounds = _int_setting(env, "BCRYPT_ROUNDS", 12, 4, 16)
    if environment != "local" and bcrypt_rounds < PRODUCTION_MIN_BCRYPT_ROUNDS:
        raise SettingsError(
            f"BCRYPT_ROUNDS must be at least {PRODUCTION_MIN_BCRYPT_ROUNDS} outside local development, "
            f"got {bcrypt_rounds}"
        )

    session_idle_days = _int_setting(env, "SESSION_IDLE_DAYS", 30, 1, 365)
    session_max_days = _int_setting(env, "SESSION_MAX_DAYS", 90, 1, 365)
    if session_max_days < session_idle_days:
        raise SettingsError(
            f"SESSION_MAX_DAYS ({session_max_days}) must be at least SESSION_IDLE_DAYS ({session_idle_days})"
        )

    jwt_expires_minutes = _int_setting(
        env, "JWT_EXPIRES_MINUTES", DEFAULT_JWT_EXPIRES_MINUTES, 1, MAX_TOKEN_LIFETIME_MINUTES
    )
    max_lifetime_minutes = _int_setting(
        env,
        "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES",
        DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES,
        1,
        MAX_TOKEN_LIFETIME_MINUTES,
    )
    if max_lifetime_minutes < jwt_expires_minutes:
        raise SettingsError(
            f"FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be at least JWT_EXPIRES_MINUTES ({jwt_expires_minutes}), "
            f"got {max_lifetime_minutes}: the cap bounds our own tokens too, and the API would refuse them"
        )
    frontend_jwt_issuer = _claim_setting(env, "FRONTEND_JWT_ISSUER")
    if frontend_jwt_issuer == API_ISSUER:
        raise SettingsError(
            f"FRONTEND_JWT_ISSUER must not be {API_ISSUER!r}: that issuer names the tokens this API issues"
        )

    return Settings(
        environment=environment,
        database_url=database_url,
        better_auth_secret=auth_secret,
        better_auth_url=better_auth_url,
        frontend_origins=tuple(dict.fromkeys(origins)),
        jwt_expires_minutes=jwt_expires_minutes,
        frontend_token_max_lifetime_minutes=max_lifetime_minutes,
        frontend_jwt_issuer=frontend_jwt_issuer,
        frontend_jwt_audience=_claim_setting(env, "FRONTEND_JWT_AUDIENCE"),
        session_idle_days=session_idle_days,
        session_max_days=session_max_days,
        bcrypt_rounds=bcrypt_rounds,
        db_timeout_seconds=_float_setting(env, "DATABASE_TIMEOUT_SECONDS", 10.0, 0.5, 60.0),
        db_pool_size=_int_setting(env, "DATABASE_POOL_SIZE", 1, 1, 50),
        user_path_task_list=user_path_task_list(env),
        request_deadline_seconds=_float_setting(env, "REQUEST_DEADLINE_SECONDS", 10.0, 0.5, 900.0),
    )


def local_environ() -> dict[str, str]:
    """``os.environ`` over the values of ``./.env`` or ``$ENV_FILE`` (real environment variables win)."""
    return {**read_dotenv(Path(os.environ.get("ENV_FILE", ".env"))), **os.environ}


def settings_environ() -> dict[str, str]:
    """Where settings are read from: the environment, over ``./.env`` in local development."""
    env = dict(os.environ)
    if (env.get("ENVIRONMENT") or _default_environment(env)) == "local":
        env = local_environ()
    return env


@cache
def get_settings() -> Settings:
    """The process's settings, resolved on first use and cached (secrets are read once per container)."""
    return load_settings(settings_environ())


def _load_secret_readers() -> None:
    """Before a SnapStart snapshot: the modules reading a secret needs (both readers), never a client."""
    from todo_shared.config import secrets, secrets_extension  # noqa: F401  (secrets_extension: loaded)

    secrets.reader_modules()


lifecycle.on_prepare_snapshot(_load_secret_readers)
