"""A session-wide guard: nothing our code logs may contain a secret the tests know of.

What is watched, for every test phase (setup, call, teardown):
  - every log record, through a handler on the root logger and on the Powertools logger (Powertools also
    writes its JSON lines to stdout; the record is what it formats, and its formatter's output is checked too);
  - what the phase wrote to stdout and stderr, from pytest's captured sections (metrics flushes, prints).

What counts as secret (registered as the tests meet them): the test ``BETTER_AUTH_SECRET``, the passwords the
helpers and the ``api`` clients send, every token the API issues to an ``api`` client or a test reads or
mints, every credential an ``api`` client presents, the passwords of database URLs in use, and the email
addresses sent to the API or given to test accounts (logs may only show them masked).

tests/conftest.py checks each phase when its report is made: a leak fails that test (naming the secret's
kind, never its value) and the run; in a test marked xfail (a known bug) it is only reported. Subprocesses' own output (e.g. a local server under test) is not seen.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import httpx

# Shorter values would match ordinary words ("password" is in the log reason "wrong_password").
MIN_SECRET_CHARS = 8
# A JWT's payload and signature are base64url runs at least this long; its header is not secret.
MIN_TOKEN_PART_CHARS = 20
_BASE64URL_RUN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_TOKEN_PART_CHARS},}}")
AUTH_COOKIE = "todo_auth"
# Address-shaped runs of text: each is looked up, so thousands of registered addresses cost one pass.
_ADDRESS = re.compile(r"[^\s\"<>(),;:\[\]\\@]+@[^\s\"'<>(),;:\[\]\\@{}]+")
_STANDARD_RECORD_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}
_PLAIN = logging.Formatter()


@dataclass(frozen=True, slots=True)
class Leak:
    label: str  # what kind of secret, e.g. "password sent to /api/auth/login"; never the value
    source: str  # where it was found, e.g. "log record todo-api INFO" or "Captured stdout call"


class SecretRegistry:
    """Sensitive values and how to find them in text.

    Plain secrets are found as substrings. Tokens are found by their payload or signature: each base64url
    run of the text is looked up, so thousands of tokens cost one pass over the text.
    """

    def __init__(self) -> None:
        self._plain: dict[str, str] = {}
        self._token_parts: dict[str, str] = {}
        self._addresses: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def counts(self) -> tuple[int, int, int]:
        """Plain secrets, token parts, email addresses."""
        return len(self._plain), len(self._token_parts), len(self._addresses)

    def add_secret(self, value: object, label: str) -> None:
        if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_CHARS:
            return
        with self._lock:
            self._plain.setdefault(value, label)

    def add_token(self, value: object, label: str) -> None:
        if not isinstance(value, str):
            return
        segments = value.strip().split(".")
        if len(segments) == 1:
            self.add_secret(value, label)  # an opaque token
            return
        with self._lock:
            for part in segments[1:]:  # the header names the algorithm and key id: not secret
                if len(part) >= MIN_TOKEN_PART_CHARS and _BASE64URL_RUN.fullmatch(part):
                    self._token_parts.setdefault(part, label)

    def add_email(self, value: object, label: str) -> None:
        """An address the logs may only show masked; found in any letter case (the API lower-cases them)."""
        if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_CHARS:
            return
        address = value.strip().lower()
        if _ADDRESS.fullmatch(address) is None:
            self.add_secret(value, label)  # not address-shaped: looked for as it is
            return
        with self._lock:
            self._addresses.setdefault(address, label)

    def add_database_url(self, url: object, label: str) -> None:
        """The password of a database URL, if it carries one (the test databases use trust auth)."""
        if not isinstance(url, str):
            return
        try:
            password = urlsplit(url).password
        except ValueError:
            return
        if password:
            self.add_secret(password, f"password of {label}")
            self.add_secret(unquote(password), f"password of {label}")

    def find(self, text: str) -> list[str]:
        """The labels of the secrets that ``text`` contains."""
        with self._lock:
            plain = list(self._plain.items())
            parts = self._token_parts
            found = [label for value, label in plain if value in text]
            found.extend(parts[run] for run in _BASE64URL_RUN.findall(text) if run in parts)
            if self._addresses:
                found.extend(
                    self._addresses[variant]
                    for candidate in _ADDRESS.findall(text.lower())
                    for variant in _address_variants(candidate)
                    if variant in self._addresses
                )
        return list(dict.fromkeys(found))


def _address_variants(candidate: str) -> Iterable[str]:
    """``candidate`` and what it may hold: quotes and trailing punctuation of the text around it."""
    starts = [0, *(index + 1 for index, char in enumerate(candidate) if char in "'`")]
    for start in starts:
        yield candidate[start:]
        yield candidate[start:].rstrip(".'`")


def render_record(record: logging.LogRecord, formatter: logging.Formatter | None = None) -> str:
    """Everything a handler could write for ``record``: message, extras, exception, and ``formatter``'s line."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed %-format: show its parts
        message = f"{record.msg!r} {record.args!r}"
    parts = [f"{record.name} {record.levelname} {message}"]
    if record.exc_info:
        parts.append(_PLAIN.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    extras = {key: value for key, value in vars(record).items() if key not in _STANDARD_RECORD_KEYS}
    if extras:
        parts.append(repr(extras))
    if formatter is not None:
        try:
            parts.append(formatter.format(record))
        except Exception as error:  # never let the guard break logging
            parts.append(f"<formatter failed: {type(error).__name__}>")
    return "\n".join(parts)


class LogCollector(logging.Handler):
    """Renders each record once (it may reach both the Powertools logger and the root) for the next check."""

    def __init__(self, powertools_name: str, powertools_formatter: logging.Formatter | None) -> None:
        super().__init__(logging.NOTSET)
        self._powertools_name = powertools_name
        self._powertools_formatter = powertools_formatter
        self._seen: weakref.WeakSet[logging.LogRecord] = weakref.WeakSet()
        self._pending: list[tuple[str, str]] = []
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record in self._seen:
            return
        self._seen.add(record)
        ours = record.name == self._powertools_name or record.name.startswith(self._powertools_name + ".")
        text = render_record(record, self._powertools_formatter if ours else None)
        self._pending.append((f"log record {record.name} {record.levelname}", text))
        self.records += 1

    def drain(self) -> list[tuple[str, str]]:
        pending, self._pending = self._pending, []
        return pending

    def peek(self) -> list[tuple[str, str]]:
        return list(self._pending)


@dataclass
class LeakGuard:
    registry: SecretRegistry
    collector: LogCollector
    powertools_logger: logging.Logger
    leaks: list[tuple[str, Leak, bool]] = field(default_factory=list)  # (test id, leak, in an xfail test)
    outputs_scanned: int = 0

    def install(self) -> None:
        """(Re)attach the collector: a test may have reset the handlers of either logger."""
        for target in (logging.getLogger(), self.powertools_logger):
            if self.collector not in target.handlers:
                target.addHandler(self.collector)

    def register_environment(self) -> None:
        """The secrets the current environment configures (tests change them with monkeypatch)."""
        self.registry.add_secret(
            os.environ.get("BETTER_AUTH_SECRET"), "BETTER_AUTH_SECRET in the environment"
        )
        self.registry.add_database_url(os.environ.get("DATABASE_URL"), "DATABASE_URL in the environment")

    def check(self, sections: Iterable[tuple[str, str]]) -> list[Leak]:
        """Leaks in the records logged since the last check and in the given captured ``(title, text)``."""
        self.register_environment()
        outputs = [*self.collector.drain(), *sections]
        self.outputs_scanned += len(outputs)
        return [Leak(label, source) for source, text in outputs for label in self.registry.find(text)]

    def watch_client(self, client: httpx.Client) -> None:
        """Register the passwords and credentials ``client`` sends and the tokens it receives."""
        client.event_hooks = {
            "request": [*client.event_hooks["request"], self._on_request],
            "response": [*client.event_hooks["response"], self._on_response],
        }

    def _on_request(self, request: httpx.Request) -> None:
        path = request.url.path
        authorization = request.headers.get("authorization", "")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "bearer":
            self.registry.add_token(credential, f"bearer token sent to {path}")
        for name, value in _cookies(request.headers.get_list("cookie")):
            if name == AUTH_COOKIE:
                self.registry.add_token(value, f"auth cookie sent to {path}")
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = json.loads(request.read() or b"null")
            except (ValueError, RecursionError):  # tests send broken and deeply nested JSON on purpose
                return
            if isinstance(body, dict):
                self.registry.add_secret(body.get("password"), f"password sent to {path}")
                # Logs show addresses masked (a***@example.com), never in full.
                self.registry.add_email(body.get("email"), f"email address sent to {path}")

    def _on_response(self, response: httpx.Response) -> None:
        path = response.request.url.path
        for cookie in response.headers.get_list("set-cookie"):
            name, _, rest = cookie.partition("=")
            if name.strip() == AUTH_COOKIE:
                self.registry.add_token(rest.split(";", 1)[0], f"auth cookie issued by {path}")
        if not response.headers.get("content-type", "").startswith("application/json"):
            return
        content = response.read()
        if b'"token"' not in content:
            return
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            return
        if isinstance(body, dict):
            self.registry.add_token(body.get("token"), f"token issued by {path}")


def _cookies(headers: list[str]) -> Iterable[tuple[str, str]]:
    for header in headers:
        for pair in header.split(";"):
            name, _, value = pair.strip().partition("=")
            yield name, value


def failure_message(nodeid: str, when: str, leaks: list[Leak]) -> str:
    lines = [f"leak guard: secrets appeared in what {nodeid} ({when}) logged or printed:"]
    lines.extend(f"  - {leak.label}, in {leak.source}" for leak in dict.fromkeys(leaks))
    return "\n".join(lines)


def _make_guard() -> LeakGuard:
    from todo_shared.observability import logger

    powertools_logger = logging.getLogger(logger.name)
    collector = LogCollector(logger.name, logger.registered_formatter)
    return LeakGuard(SecretRegistry(), collector, powertools_logger)


GUARD = _make_guard()


def watch_settings() -> None:
    """Register the secrets of every ``Settings`` the app resolves (``get_settings`` calls ``load_settings``).

    This sees values read from Secrets Manager or SSM, which no environment variable shows.
    """
    from todo_shared.config import settings as settings_module

    original = settings_module.load_settings
    if getattr(original, "leak_guarded", False):
        return

    @functools.wraps(original)
    def load_settings(env: Mapping[str, str] | None = None) -> settings_module.Settings:
        resolved = original(env)
        register_secret(resolved.better_auth_secret, "BETTER_AUTH_SECRET of the resolved settings")
        register_database_url(resolved.database_url, "DATABASE_URL of the resolved settings")
        return resolved

    load_settings.leak_guarded = True  # type: ignore[attr-defined]
    settings_module.load_settings = load_settings


def register_secret(value: object, label: str) -> None:
    GUARD.registry.add_secret(value, label)


def register_token(value: object, label: str) -> None:
    GUARD.registry.add_token(value, label)


def register_email(value: object, label: str) -> None:
    GUARD.registry.add_email(value, label)


def register_database_url(url: object, label: str) -> None:
    GUARD.registry.add_database_url(url, label)
