"""A chunked upload as a client sends it (no Content-Length), over a real connection."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

OVER_THE_LIMIT = 64 * 1024 + 1


def post_chunked(base: str, path: str, size: int, headers: dict[str, str]) -> tuple[int, Any]:
    """POST ``size`` bytes in 8 KiB chunks; the status and the decoded JSON answer."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=30)
    chunks = [b"x" * min(8192, size - offset) for offset in range(0, size, 8192)]
    try:
        connection.request(
            "POST",
            path,
            body=iter(chunks),
            headers={"content-type": "application/json", **headers},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()
