"""Settings: one pydantic model is the table of every setting (its name, default, values and meaning).

Resolved once per process on first use (``get_settings``) from the environment: in Lambda, with the secrets that
``*_REF`` settings name read from Secrets Manager or SSM; in a local run, the environment holds ``.env`` too
(devtools reads it with pydantic-settings' dotenv source before anything starts). A missing, unsafe or unknown
setting is a ``SettingsError`` whose message is one line naming it. The README's Configuration table and
``.env.example`` are written from this model (devtools.settings_doc), and a test compares them.

Why a pydantic model rather than pydantic-settings' ``BaseSettings``: docs/adr/0040-settings-model.md. The
annotations are not postponed (no ``from __future__ import annotations``): pydantic would evaluate each string
when the class is built, at every cold start (about 0.5 ms here).
"""

import os
import secrets
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self, get_args
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from todo_shared import lifecycle
from todo_shared.config.database_url import DatabaseUrlError, parse_database_url
from todo_shared.config.secret_strength import estimate_bits, normalized
from todo_shared.errors import ConfigurationError

Environment = Literal["local", "production"]
# How *_REF secrets are read: Powertools Parameters (boto3), or the Parameters and Secrets Lambda Extension.
SecretsReader = Literal["powertools", "extension"]
# What GET /api/{user_id}/tasks answers: a bare JSON array of tasks, or the object /api/tasks answers
# (docs/adr/0035-task-list-shape-per-path-style.md).
TaskListShape = Literal["array", "object"]
# Where BETTER_AUTH_SECRET came from (make run's banner says it; ".env" is told apart by devtools).
KeySource = Literal["environment", "secret store", "generated file"]

MIN_SECRET_BYTES = 32
# Every value a doc or example in this repository shows for the secret (a test scans the repository, so a new
# example cannot slip through), and the likes of it in guides; compared without case and separators
# (secret_strength.normalized), and refused everywhere but local development.
PLACEHOLDER_SECRETS = frozenset(
    {
        "your-secret-key-min-32-chars-here",
        "your-secret-key-here-at-least-32-chars",
        "change-me-change-me-change-me-change-me",
        "changeme-changeme-changeme-changeme",
        "replace-with-the-output-of-openssl-rand-base64-48",
    }
)
_NORMALIZED_PLACEHOLDERS = frozenset(normalized(value) for value in PLACEHOLDER_SECRETS)
# The estimated guessing cost (secret_strength.estimate_bits) a production secret needs. Random output of
# `openssl rand -base64 32` or `-hex 16` (128 bits) scored at least 92 in 300,000 draws; the guessable values
# tried scored at most 75 (tests/unit/config/test_guessable_secrets.py).
MIN_SECRET_BITS = 80
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

# A name that looks like ours but is not one (a typo, another guide's, a setting removed) stops start-up: it
# would otherwise be ignored without a word, and a default used. Looked for under these prefixes, any case.
LOOKALIKE_PREFIXES = ("BETTER_AUTH_", "DATABASE_", "JWT_", "SESSION_", "HS256_", "BCRYPT_", "FRONTEND_")
# Names of settings this API no longer reads, or that guides use for one of ours.
RENAMED = {
    "HS256_MAX_LIFETIME_MINUTES": "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES",
    "JWT_SECRET": "BETTER_AUTH_SECRET",
    "JWT_SECRET_KEY": "BETTER_AUTH_SECRET",
    "JWT_ACCESS_TOKEN_EXPIRE_MINUTES": "JWT_EXPIRES_MINUTES",
}
# Names under those prefixes that belong to the tools beside this API, which their users may well share a
# `.env` or an environment with: Better Auth's own (read by the frontend) and Neon's Vercel integration's.
OTHER_TOOLS_NAMES = frozenset(
    {
        "BETTER_AUTH_TELEMETRY",
        "BETTER_AUTH_TELEMETRY_DEBUG",
        "BETTER_AUTH_TELEMETRY_ENDPOINT",
        "BETTER_AUTH_TELEMETRY_ID",
        "BETTER_AUTH_TRUSTED_ORIGINS",
        "DATABASE_URL_UNPOOLED",
    }
)


class SettingsError(ConfigurationError):
    """A missing or unsafe setting. ``str(error)`` is one line that names the setting."""


def setting(name: str, default: Any, meaning: str, *, shown: str | None = None, **rules: Any) -> Any:
    """The field read from the environment variable ``name``. ``meaning`` is what the README says of it;
    ``shown`` the README's local default when it is not ``default`` itself (computed, or none)."""
    return Field(default, alias=name, description=meaning, json_schema_extra={"shown": shown}, **rules)


class Settings(BaseModel):
    """Every setting, in the README's order. Checks that involve two settings or the environment are below."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=False, hide_input_in_errors=True)

    database_url: str = setting(
        "DATABASE_URL",
        ...,
        "Neon's URL as printed (`postgresql://…-pooler…/db?sslmode=require&channel_binding=require`; a password "
        "with `@`, `/`, `%` or `:` percent-encoded) or `sqlite:///…`",
        shown="`sqlite:///.local/todo.db`",
        repr=False,
    )
    better_auth_secret: str = setting(
        "BETTER_AUTH_SECRET",
        ...,
        "HS256 key shared with the frontend, at least 32 bytes; outside local dev, doc placeholders and guessable "
        "values are refused (`openssl rand -base64 48` makes a good one)",
        shown="generated into `.local/dev-secret`",
        repr=False,
    )
    better_auth_url: str | None = setting(
        "BETTER_AUTH_URL",
        None,
        "origin of the Better Auth server (no path, query or user name); turns on verification of its JWTs via "
        "`<url>/api/auth/jwks` (answered there, redirects are not followed); `https://` outside local dev",
        shown="unset",
    )
    frontend_url: tuple[str, ...] = setting(
        "FRONTEND_URL",
        (),
        "allowed CORS origin(s), comma-separated; outside local dev only the origins named here are trusted "
        "(localhost too)",
        shown="`http://localhost:3000` (always allowed locally)",
    )
    jwt_expires_minutes: int = setting(
        "JWT_EXPIRES_MINUTES",
        DEFAULT_JWT_EXPIRES_MINUTES,
        "lifetime of the access tokens this API issues (refresh tokens renew them)",
        ge=1,
        le=MAX_TOKEN_LIFETIME_MINUTES,
    )
    session_idle_days: int = setting(
        "SESSION_IDLE_DAYS", 30, "a session ends this many days after its last refresh", ge=1, le=365
    )
    session_max_days: int = setting(
        "SESSION_MAX_DAYS",
        90,
        "a session ends at most this many days after sign-in, however often it is refreshed (at least "
        "`SESSION_IDLE_DAYS`)",
        ge=1,
        le=365,
    )
    frontend_token_max_lifetime_minutes: int = setting(
        "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES",
        DEFAULT_FRONTEND_TOKEN_MAX_LIFETIME_MINUTES,
        "longest lifetime (`exp − iat`) of a token this API accepts: a frontend's HS256, Better Auth's, and ours "
        "(at least `JWT_EXPIRES_MINUTES`); over it a token is a 401 that says so",
        shown="`10080` (7 days)",
        ge=1,
        le=MAX_TOKEN_LIFETIME_MINUTES,
    )
    frontend_jwt_issuer: str | None = setting(
        "FRONTEND_JWT_ISSUER",
        None,
        "when set, a frontend's HS256 token must carry this `iss` (printable ASCII; not `todo-api`, ours)",
        shown="unset (not checked)",
    )
    frontend_jwt_audience: str | None = setting(
        "FRONTEND_JWT_AUDIENCE",
        None,
        "when set, a frontend's HS256 token must carry this `aud` (printable ASCII)",
        shown="unset (not checked)",
    )
    database_url_ref: str | None = setting(
        "DATABASE_URL_REF",
        None,
        "in Lambda: where the database URL lives, `arn:aws:secretsmanager:…` / `secretsmanager:<name>` or "
        "`arn:aws:ssm:…:parameter/<name>` / `ssm:/<name>` (SecureString). Read once per container; a JSON secret "
        "may hold the value under the setting's name. Wins over `DATABASE_URL`",
        shown="unset",
    )
    better_auth_secret_ref: str | None = setting(
        "BETTER_AUTH_SECRET_REF",
        None,
        "the same for `BETTER_AUTH_SECRET`",
        shown="unset",
    )
    secrets_reader: SecretsReader = setting(
        "SECRETS_READER",
        "powertools",
        "how the `*_REF` secrets are read: Powertools Parameters over boto3, or the AWS Parameters and Secrets "
        "Lambda Extension on `localhost:${PARAMETERS_SECRETS_EXTENSION_HTTP_PORT:-2773}` with "
        "`$AWS_SESSION_TOKEN` as its token (the template sets it from `SecretsReader`)",
    )
    environment: Environment = setting(
        "ENVIRONMENT",
        "local",
        "production (the default inside Lambda) requires the database URL and secret and refuses placeholders, "
        "guessable secrets and weak bcrypt costs",
    )
    bcrypt_rounds: int = setting("BCRYPT_ROUNDS", 12, "bcrypt cost (at least 10 in production)", ge=4, le=16)
    db_timeout_seconds: float = setting(
        "DATABASE_TIMEOUT_SECONDS", 10.0, "socket and pool timeout", shown="`10`", ge=0.5, le=60.0
    )
    db_pool_size: int = setting("DATABASE_POOL_SIZE", 1, "kept connections per container", ge=1, le=50)
    request_deadline_seconds: float = setting(
        "REQUEST_DEADLINE_SECONDS",
        10.0,
        "the most a request spends waiting for its database, all waits together (connecting, the pooler's "
        "queue, every statement), answered 503 `database_deadline_exceeded` past it; in Lambda also at most "
        "the invocation's remaining time less 3 s (docs/adr/0037-request-deadline.md)",
        shown="`10`",
        ge=0.5,
        le=900.0,
    )
    user_path_task_list: TaskListShape = setting(
        "USER_PATH_TASK_LIST",
        "array",
        "what `GET /api/{user_id}/tasks` answers: a bare JSON array of tasks, the paging in `X-Total-Count` and "
        "`Link`, or `{tasks, total, limit, offset}` as `/api/tasks` does, for a frontend that reads `{tasks}` "
        "there; `/openapi.json` says the same. The template sets it from `UserPathTaskList`",
    )
    port: int | None = setting(
        "PORT",
        None,
        "local servers only: the port",
        shown="`8000` (the local gateway: `3001`)",
        ge=1,
        le=65535,
    )
    host: str = setting("HOST", "127.0.0.1", "local servers only: the address to listen on")
    local_state_dir: str = setting(
        "LOCAL_STATE_DIR", ".local", "where local state lives (the SQLite file, the development secret)"
    )
    env_file: str = setting(
        "ENV_FILE", ".env", "the dotenv file local runs read (`KEY=value` lines; the environment wins)"
    )
    # Not a setting: where the secret came from (it has no alias, so no environment variable sets it).
    key_source: KeySource = Field("environment", exclude=True)

    @property
    def frontend_origins(self) -> tuple[str, ...]:
        """The CORS origins trusted. Only local development trusts http://localhost:3000 by default; elsewhere an
        origin is trusted only when FRONTEND_URL names it, localhost included: any page on a user's own machine
        would otherwise pass CORS with credentials and the cookie's CSRF check."""
        if self.environment == "local" and DEFAULT_FRONTEND_ORIGIN not in self.frontend_url:
            return (*self.frontend_url, DEFAULT_FRONTEND_ORIGIN)
        return self.frontend_url

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, value: str) -> str:
        try:
            parse_database_url(value)
        except DatabaseUrlError as error:
            raise ValueError(f"DATABASE_URL: {error}") from None
        return value

    @field_validator("better_auth_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        size = len(value.encode("utf-8"))
        if size < MIN_SECRET_BYTES:
            raise ValueError(f"BETTER_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes, got {size}")
        return value

    @field_validator("better_auth_url")
    @classmethod
    def _better_auth_origin(cls, value: str | None) -> str | None:
        return None if value is None else origin(value, "BETTER_AUTH_URL")

    @field_validator("frontend_url", mode="before")
    @classmethod
    def _frontend_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = [origin(item, "FRONTEND_URL") for item in value.split(",") if item.strip()]
        return tuple(dict.fromkeys(found))

    @field_validator("frontend_jwt_issuer", "frontend_jwt_audience")
    @classmethod
    def _claim(cls, value: str, info: ValidationInfo) -> str:
        name = str(Settings.model_fields[str(info.field_name)].alias)
        if len(value) > MAX_CLAIM_SETTING_LENGTH or not all(" " <= char <= "~" for char in value):
            raise ValueError(
                f"{name} must be at most {MAX_CLAIM_SETTING_LENGTH} printable ASCII characters, got {value[:40]!r}"
            )
        if name == "FRONTEND_JWT_ISSUER" and value == API_ISSUER:
            raise ValueError(
                f"FRONTEND_JWT_ISSUER must not be {API_ISSUER!r}: that issuer names the tokens this API issues"
            )
        return value

    @field_validator("user_path_task_list", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.session_max_days < self.session_idle_days:
            raise ValueError(
                f"SESSION_MAX_DAYS ({self.session_max_days}) must be at least SESSION_IDLE_DAYS "
                f"({self.session_idle_days})"
            )
        if self.frontend_token_max_lifetime_minutes < self.jwt_expires_minutes:
            raise ValueError(
                "FRONTEND_TOKEN_MAX_LIFETIME_MINUTES must be at least JWT_EXPIRES_MINUTES "
                f"({self.jwt_expires_minutes}), got {self.frontend_token_max_lifetime_minutes}: the cap bounds "
                "our own tokens too, and the API would refuse them"
            )
        if self.environment != "local":
            self._production_checks()
        return self

    def _production_checks(self) -> None:
        if normalized(self.better_auth_secret) in _NORMALIZED_PLACEHOLDERS:
            raise ValueError("BETTER_AUTH_SECRET is a placeholder from the docs; generate a real one")
        bits = estimate_bits(self.better_auth_secret)
        if bits < MIN_SECRET_BITS:
            raise ValueError(
                f"BETTER_AUTH_SECRET is too easy to guess (words, sequences, keyboard walks or repeats: about "
                f"{bits:.0f} bits, at least {MIN_SECRET_BITS} needed); generate one with: openssl rand -base64 48"
            )
        if self.better_auth_url is not None and urlsplit(self.better_auth_url).scheme != "https":
            # Its JWKS decides whose tokens are accepted: fetched over plain http, anyone on the path could
            # publish keys. Local Better Auth runs on http://localhost:3000, so local runs allow it.
            raise ValueError(
                f"BETTER_AUTH_URL must use https outside local development, got {self.better_auth_url!r}"
            )
        if self.bcrypt_rounds < PRODUCTION_MIN_BCRYPT_ROUNDS:
            raise ValueError(
                f"BCRYPT_ROUNDS must be at least {PRODUCTION_MIN_BCRYPT_ROUNDS} outside local development, "
                f"got {self.bcrypt_rounds}"
            )


# Each setting's field by its environment variable, in the table's order.
FIELDS = {str(field.alias): field for field in Settings.model_fields.values() if field.alias}
SETTING_NAMES = tuple(FIELDS)


def bounds(field: FieldInfo) -> tuple[Any, Any]:
    """The lowest and highest value a numeric setting takes (None where it has no bound)."""
    low = next((rule.ge for rule in field.metadata if hasattr(rule, "ge")), None)
    high = next((rule.le for rule in field.metadata if hasattr(rule, "le")), None)
    return low, high


SECRET_SETTINGS = ("DATABASE_URL", "BETTER_AUTH_SECRET")


def origin(value: str, name: str) -> str:
    """``value`` as an origin (scheme, host, port): a path, query, fragment or user name is refused (a URL
    such as ``https://auth.example.com@evil.example`` names the host ``evil.example``)."""
    text = value.strip()
    if any(char.isspace() or not char.isprintable() for char in text):
        raise ValueError(f"{name} must be an origin such as https://app.example.com, got {value!r}")
    parts = urlsplit(text.rstrip("/"))
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        parts = parts._replace(scheme="")
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(char in text for char in "@?#\\")
        or parts.path
    ):
        raise ValueError(f"{name} must be an origin such as https://app.example.com, got {value!r}")
    return text.rstrip("/")


def _choice(name: str, value: str, kind: Any) -> str:
    allowed = get_args(kind)
    if value not in allowed:
        raise SettingsError(f"{name} must be {' or '.join(repr(item) for item in allowed)}, got {value!r}")
    return value


def user_path_task_list(env: Mapping[str, str]) -> TaskListShape:
    """``USER_PATH_TASK_LIST`` alone (the docs function needs no other setting): ``array`` or ``object``."""
    value = _choice(
        "USER_PATH_TASK_LIST", env.get("USER_PATH_TASK_LIST", "").strip().lower() or "array", TaskListShape
    )
    return "object" if value == "object" else "array"


def lookalike_problem(names: Mapping[str, object] | set[str]) -> str | None:
    """One line for the first name that looks like a setting of ours but is not one, or None."""
    for name in sorted(names):
        upper = name.upper()
        if not upper.startswith(LOOKALIKE_PREFIXES) or name in SETTING_NAMES or upper in OTHER_TOOLS_NAMES:
            continue
        if upper in SETTING_NAMES:
            return f"{name} is not a setting: names are upper case (did you mean {upper}?)"
        from difflib import get_close_matches  # only when a name is wrong: not on every start

        suggestion = RENAMED.get(upper) or next(iter(get_close_matches(upper, SETTING_NAMES, n=1, cutoff=0)))
        return f"{name} is not a setting of this API (did you mean {suggestion}?); it would be ignored"
    return None


def _default_environment(env: Mapping[str, str]) -> Environment:
    return "production" if env.get("AWS_LAMBDA_FUNCTION_NAME") else "local"


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


def _local_state(state_dir: Path, env: Mapping[str, str], setting_name: str) -> Path:
    """``state_dir`` for the local default of ``setting_name`` (a SQLite file, the dev secret), which lives
    there. Inside a Lambda function (``sam local`` with ``ENVIRONMENT=local``) it would be the code directory:
    never written, it is read-only there."""
    task_root = env.get("LAMBDA_TASK_ROOT", "").strip()
    if task_root and state_dir.resolve().is_relative_to(Path(task_root).resolve()):
        raise SettingsError(
            f"{setting_name} is not set, and its local default would be written into the function's code "
            f"directory ({state_dir.resolve()}); set {setting_name}"
        )
    return _state_dir(state_dir)


def _local_secret(state_dir: Path) -> str:
    """A random dev secret, generated once and kept in a git-ignored file."""
    path = state_dir / "dev-secret"
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


def _read_reference(name: str, reference: str, reader: str, env: Mapping[str, str]) -> str:
    """The value ``NAME_REF`` names. Imported here: only containers that use references pay for a reader
    (boto3 for powertools)."""
    from todo_shared.config.secrets import SecretStoreError

    try:
        if reader == "extension":
            from todo_shared.config import secrets_extension

            return secrets_extension.read_secret(reference, setting=name, env=env)
        from todo_shared.config.secrets import read_secret

        return read_secret(reference, setting=name)
    except SecretStoreError as error:
        raise SettingsError(f"{name}_REF: {error}") from None


def one_line(error: ValidationError) -> str:
    """The first problem, in the words this project uses, naming the setting (and never a secret's value)."""
    problem = error.errors(include_url=False)[0]
    name = str(problem["loc"][0]) if problem["loc"] else ""
    kind, given = problem["type"], problem.get("input")
    if kind == "missing":
        suffix = f" (or {name}_REF naming a secret)" if name in SECRET_SETTINGS else ""
        return f"{name} is required{suffix}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"{name} must be a whole number, got {given!r}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"{name} must be a number, got {given!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = bounds(FIELDS[name])
        return f"{name} must be between {low} and {high}, got {given}"
    if kind == "literal_error":
        expected = problem.get("ctx", {}).get("expected", "")
        return f"{name} must be {expected}, got {given!r}"
    return str(problem["msg"]).removeprefix("Value error, ")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build and check settings from ``env`` (default: ``os.environ``). An empty value counts as unset."""
    if env is None:
        env = os.environ
    problem = lookalike_problem(env)
    if problem is not None:
        raise SettingsError(problem)
    given = {name: value.strip() for name in SETTING_NAMES if (value := env.get(name)) and value.strip()}
    environment = _choice(
        "ENVIRONMENT", given.setdefault("ENVIRONMENT", _default_environment(env)), Environment
    )
    reader = _choice("SECRETS_READER", given.get("SECRETS_READER", "powertools"), SecretsReader)
    provenance: KeySource = "environment"
    for name in SECRET_SETTINGS:
        reference = given.get(f"{name}_REF")
        if reference:
            given[name] = _read_reference(name, reference, reader, env)
            provenance = "secret store" if name == "BETTER_AUTH_SECRET" else provenance
    if environment == "local":
        state_dir = Path(given.get("LOCAL_STATE_DIR", ".local"))
        if "DATABASE_URL" not in given:
            database = _local_state(state_dir, env, "DATABASE_URL") / "todo.db"
            given["DATABASE_URL"] = f"sqlite:///{database.resolve()}"
        if "BETTER_AUTH_SECRET" not in given:
            given["BETTER_AUTH_SECRET"] = _local_secret(_local_state(state_dir, env, "BETTER_AUTH_SECRET"))
            provenance = "generated file"
    try:
        return Settings.model_validate({**given, "key_source": provenance})
    except ValidationError as error:
        raise SettingsError(one_line(error)) from None


@cache
def get_settings() -> Settings:
    """The process's settings, resolved on first use and cached (secrets are read once per container)."""
    return load_settings()


def _load_secret_readers() -> None:
    """Before a SnapStart snapshot: the modules reading a secret needs (both readers), never a client."""
    from todo_shared.config import secrets, secrets_extension  # noqa: F401  (secrets_extension: loaded)

    secrets.reader_modules()


lifecycle.on_prepare_snapshot(_load_secret_readers)
