"""Secret references read through the AWS Parameters and Secrets Lambda Extension (``SECRETS_READER=extension``).

The extension is a layer whose process serves HTTP on localhost (``PARAMETERS_SECRETS_EXTENSION_HTTP_PORT``,
2773 by default), calls Secrets Manager or SSM with the function's role and caches the answers. Asking it takes
the standard library only: no boto3 on the cold path (docs/adr/0010-secrets-as-references.md). References, the
JSON rule and the error messages are those of ``todo_shared.config.secrets``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import socket
import time
from collections.abc import Mapping
from urllib.parse import quote

from todo_shared.config.secrets import SecretStoreError, finish_value, parse_reference

DEFAULT_PORT = 2773
# The whole exchange with the extension, connection to last byte: on a cache miss it includes the extension's own
# call to AWS, which the template bounds at 2.5 s (SECRETS_MANAGER_TIMEOUT_MILLIS, SSM_PARAMETER_STORE_TIMEOUT_MILLIS),
# so the extension answers with an error before this gives up. Two reads stay well under the 15 s Lambda timeout.
EXTENSION_DEADLINE_SECONDS = 3.0
# A GetSecretValue or GetParameter answer is at most a few tens of kB (a secret is at most 64 kB).
MAX_ANSWER_BYTES = 256 * 1024
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 (a header name, not a password)
# An AWS error code (ResourceNotFoundException, ParameterNotFound, AccessDeniedException, …): the only part of an
# error answer that is repeated, since the rest is free text.
_ERROR_CODE = re.compile(r"\b([A-Z][A-Za-z]{2,60}(?:Exception|NotFound|Failure|Fault))\b")


class _Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "").strip()
    if not raw:
        return DEFAULT_PORT
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SecretStoreError(f"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT must be a port number, got {raw!r}")
    return int(raw)


def _exchange(port: int, target: str, token: str, deadline_seconds: float) -> _Answer:
    """One GET with a deadline on the whole exchange (a socket timeout alone lets a trickling answer run on).

    HTTP/1.0, so the answer is never chunked and ends when the extension closes the connection.
    """
    deadline = time.monotonic() + deadline_seconds
    request = f"GET {target} HTTP/1.0\r\nHost: localhost:{port}\r\n{TOKEN_HEADER}: {token}\r\n\r\n".encode(
        "latin-1"
    )
    with socket.create_connection(("localhost", port), timeout=deadline_seconds) as connection:
        connection.sendall(request)
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            connection.settimeout(remaining)
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise ValueError("answer too large")
    head, separator, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not separator or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError("not an HTTP answer")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return _Answer(int(parts[1]), headers, body)


def _error_kind(answer: _Answer) -> str:
    """The AWS error code the extension passed on, else the status; never the answer's text."""
    header = answer.headers.get("x-amzn-errortype", "").split(":", 1)[0]
    match = _ERROR_CODE.fullmatch(header) or _ERROR_CODE.search(answer.body[:4096].decode("utf-8", "replace"))
    if match:
        return match.group(1)
    if answer.status in (401, 403):
        return f"HTTP {answer.status}: the extension refused the token"
    return f"HTTP {answer.status}"


def _value(answer: _Answer, store: str) -> object:
    """SecretString (or the decoded SecretBinary) of GetSecretValue, Parameter.Value of GetParameter."""
    document = json.loads(answer.body)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    if store == "ssm":
        parameter = document.get("Parameter")
        return parameter.get("Value") if isinstance(parameter, dict) else None
    if isinstance(document.get("SecretString"), str):
        return document["SecretString"]
    binary = document.get("SecretBinary")
    return base64.b64decode(binary, validate=True) if isinstance(binary, str) else None


def read_secret(
    reference: str,
    *,
    setting: str,
    env: Mapping[str, str],
    deadline_seconds: float = EXTENSION_DEADLINE_SECONDS,
) -> str:
    """Read the secret named by ``reference`` for ``setting`` from the extension (port and token from ``env``)."""
    store, name = parse_reference(reference)
    port = _port(env)
    token = env.get("AWS_SESSION_TOKEN", "").strip()
    if not token:
        raise SecretStoreError(
            f"could not read {reference!r} (AWS_SESSION_TOKEN is not set: the extension requires it)"
        )
    if store == "ssm":
        target = f"/systemsmanager/parameters/get?name={quote(name, safe='')}&withDecryption=true"
    else:
        target = f"/secretsmanager/get?secretId={quote(name, safe='')}"
    try:
        answer = _exchange(port, target, token, deadline_seconds)
    except TimeoutError:
        raise SecretStoreError(
            f"could not read {reference!r} (TimeoutError: no answer from the extension on localhost:{port} "
            f"within {deadline_seconds:g} s)"
        ) from None
    except OSError as error:  # refused: the extension layer is not attached, or not running
        raise SecretStoreError(
            f"could not read {reference!r} ({type(error).__name__}: is the extension running on localhost:{port}?)"
        ) from None
    except ValueError:
        raise SecretStoreError(f"could not read {reference!r} (the extension's answer is not HTTP)") from None
    if answer.status != 200:
        raise SecretStoreError(f"could not read {reference!r} ({_error_kind(answer)})")
    try:
        value = _value(answer, store)
    except (ValueError, binascii.Error):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        value = None
    if value is None:
        raise SecretStoreError(
            f"could not read {reference!r} (the extension's answer is not the store's JSON)"
        )
    return finish_value(value, reference=reference, setting=setting)
