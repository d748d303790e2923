"""Secret references read through Powertools Parameters providers of our own (cached per container).

A reference is one of:
  - ``arn:aws:secretsmanager:<region>:<account>:secret:<name>`` or ``secretsmanager:<name>``
  - ``arn:aws:ssm:<region>:<account>:parameter/<name>`` or ``ssm:/<name>`` (SecureString, decrypted)

A Secrets Manager secret may hold the value itself or a JSON object with the setting's name as a key.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Literal

Store = Literal["ssm", "secrets"]

# Values are re-read after this many seconds by Powertools; settings themselves are cached per container.
SECRET_MAX_AGE_SECONDS = 300
# botocore waits 60 s to connect and 60 s for a reply, up to 5 times: an unreachable endpoint (a VPC without
# a route to it) would outlast the Lambda timeout (15 s) with no clear error. These bound one read to at most
# 2 x (2 s + 3 s) plus one back-off of up to 1 s.
AWS_CONNECT_TIMEOUT_SECONDS = 2.0
AWS_READ_TIMEOUT_SECONDS = 3.0
AWS_MAX_ATTEMPTS = 2


class SecretStoreError(Exception):
    """A secret could not be read. The message names the reference, never the value."""


def _ssm_name(reference: str) -> str | None:
    if reference.startswith("ssm:"):
        return reference.removeprefix("ssm:")
    if reference.startswith("arn:aws:ssm:") and ":parameter/" in reference:
        return "/" + reference.split(":parameter/", 1)[1]
    return None


def _secrets_manager_id(reference: str) -> str | None:
    if reference.startswith("secretsmanager:"):
        return reference.removeprefix("secretsmanager:")
    if reference.startswith("arn:aws:secretsmanager:"):
        return reference
    return None


def parse_reference(reference: str) -> tuple[Store, str]:
    """The store (``"ssm"`` or ``"secrets"``) and the name or ARN to ask it for; one line if no reference."""
    ssm_name = _ssm_name(reference)
    if ssm_name is not None:
        return "ssm", ssm_name
    secret_id = _secrets_manager_id(reference)
    if secret_id is not None:
        return "secrets", secret_id
    raise SecretStoreError(
        f"{reference!r} is not a reference: use arn:aws:secretsmanager:…, secretsmanager:<name>, "
        "arn:aws:ssm:…:parameter/<name> or ssm:/<name>"
    )


def finish_value(value: object, *, reference: str, setting: str) -> str:
    """The setting's value from what the store returned: text, trimmed, unwrapped from a JSON object."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str) or not value.strip():
        raise SecretStoreError(f"{reference!r} is empty")
    return _unwrap_json(value.strip(), setting).strip()


def _unwrap_json(value: str, setting: str) -> str:
    if not value.lstrip().startswith("{"):
        return value
    try:
        document = json.loads(value)
    except ValueError:
        return value
    if isinstance(document, dict) and isinstance(document.get(setting), str):
        return str(document[setting])
    raise SecretStoreError(f"the secret is a JSON object without a string key {setting!r}")


def _error_kind(error: BaseException) -> str:
    """AWS's error code (Powertools wraps the botocore error), else the innermost cause's class name.

    The class name says what went wrong without any message text: ``ConnectionRefusedError`` or
    ``TimeoutError`` (the endpoint is unreachable or hangs), ``NoCredentialsError``, ``NoRegionError``. An
    error code that is a bare HTTP status means botocore could not parse the error body (a proxy, an emulator).
    """
    current: BaseException | None = error
    innermost = error
    for _ in range(16):  # cause chains are short; never loop on a cycle
        if current is None:
            break
        response = getattr(current, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code") or "")
            if code:
                return f"HTTP {code}" if code.isdigit() else code
        innermost = current
        current = current.__cause__ or current.__context__
    return type(innermost).__name__


def reader_modules() -> tuple[Any, Any]:
    """Powertools Parameters and botocore's ``Config``: what a read imports (boto3 with them), no client."""
    from aws_lambda_powertools.utilities import parameters
    from botocore.config import Config

    return parameters, Config


_providers: dict[str, Any] = {}
_providers_lock = threading.Lock()


def _provider(store: str) -> Any:
    """This module's own Powertools provider for ``store`` ("ssm" or "secrets"), created on first use (once
    per container) with a client whose timeouts are bounded. Each provider keeps its own value cache."""
    with _providers_lock:
        provider = _providers.get(store)
        if provider is None:
            parameters, config_class = reader_modules()
            config = config_class(
                connect_timeout=AWS_CONNECT_TIMEOUT_SECONDS,
                read_timeout=AWS_READ_TIMEOUT_SECONDS,
                retries={"max_attempts": AWS_MAX_ATTEMPTS, "mode": "standard"},
            )
            provider_class = parameters.SSMProvider if store == "ssm" else parameters.SecretsProvider
            provider = _providers[store] = provider_class(boto_config=config)
        return provider


def clear_secret_cache() -> None:
    """Forget the providers and every value they cached (tests; a settings reload)."""
    with _providers_lock:
        _providers.clear()


def read_secret(reference: str, *, setting: str) -> str:
    """Read the secret named by ``reference`` for the setting ``setting``."""
    store, name = parse_reference(reference)
    try:  # creating the client is inside: it can fail too (no region, …)
        if store == "ssm":
            value = _provider("ssm").get(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
        else:
            value = _provider("secrets").get(name, max_age=SECRET_MAX_AGE_SECONDS)
    except Exception as error:  # boto/botocore errors vary; report the kind, never a value
        raise SecretStoreError(f"could not read {reference!r} ({_error_kind(error)})") from None
    return finish_value(value, reference=reference, setting=setting)
