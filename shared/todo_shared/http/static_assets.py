"""Static files kept gzip-compressed and served as they are to a client that accepts gzip, else inflated once.

Meant for versioned URLs: a new version of a file gets a new URL, so each answer may be cached for a year.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from starlette.responses import Response

IMMUTABLE = "public, max-age=31536000, immutable"


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110: ``gzip;q=0`` or ``*;q=0`` refuses it)."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if coding:
            weights[coding.lower()] = weight
    for coding in ("gzip", "x-gzip", "*"):
        if coding in weights:
            return weights[coding] > 0
    return False


@cache
def _compressed(path: Path) -> bytes:
    return path.read_bytes()


@cache
def _inflated(path: Path) -> bytes:
    return gzip.decompress(_compressed(path))


def gzipped_file_response(path: Path, *, media_type: str, accept_encoding: str) -> Response:
    """``path`` (a ``.gz`` file) for a versioned URL; the body differs by ``Accept-Encoding``, hence ``Vary``."""
    headers = {"cache-control": IMMUTABLE, "vary": "Accept-Encoding"}
    if accepts_gzip(accept_encoding):
        headers["content-encoding"] = "gzip"
        return Response(_compressed(path), media_type=media_type, headers=headers)
    return Response(_inflated(path), media_type=media_type, headers=headers)
