"""A request body's framing, read as API Gateway reads it: strictly, and never past its payload limit.

``body_length`` checks the framing headers before a byte of the body is read: a ``Content-Length`` that is not
a plain decimal number, several that differ, or one beside ``Transfer-Encoding`` is a 400; a length over the
limit is a 413, known without reading or allocating it. ``read_chunked`` decodes a chunked body (API Gateway
hands the function the whole body) under the same limit.
"""

from __future__ import annotations

import io
import re

# API Gateway's own limit on a request payload; it answers 413 itself beyond it.
GATEWAY_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
CHUNKED = -1  # body_length's answer for a chunked body
_DIGITS = re.compile(r"[0-9]+")  # decimal only: no sign, no spaces, no Unicode digits
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_LINE = 1024  # the longest chunk-size or trailer line read
_MAX_TRAILER_LINES = 64


class MalformedBodyError(Exception):
    """The framing cannot be read as HTTP/1.1 says (400)."""


class PayloadTooLargeError(Exception):
    """The body is over the limit (413)."""


class IncompleteBodyError(Exception):
    """The client closed the connection before the body was whole: there is no request to answer."""


def body_length(
    content_lengths: list[str], transfer_encoding: str | None, limit: int = GATEWAY_MAX_PAYLOAD_BYTES
) -> int:
    """The body's length from the request's ``Content-Length`` values, or ``CHUNKED``."""
    if transfer_encoding is not None:
        codings = [coding.strip().lower() for coding in transfer_encoding.split(",")]
        # Only chunked as the last coding frames a request body; with a Content-Length too the framing is
        # ambiguous (the gap request smuggling goes through).
        if codings[-1] != "chunked" or content_lengths:
            raise MalformedBodyError
        return CHUNKED
    values = {value.strip() for header in content_lengths for value in header.split(",")}
    if not values:
        return 0
    if len(values) > 1 or not all(_DIGITS.fullmatch(value) for value in values):
        raise MalformedBodyError
    (value,) = values
    if len(value) > len(str(limit)) or int(value) > limit:  # the length of the digits first: no huge int
        raise PayloadTooLargeError
    return int(value)


def read_exactly(stream: io.BufferedIOBase, length: int) -> bytes:
    data = stream.read(length)
    if len(data) < length:
        raise IncompleteBodyError
    return data


def _line(stream: io.BufferedIOBase) -> bytes:
    line = stream.readline(_LINE + 1)
    if not line.endswith(b"\n"):
        if len(line) > _LINE:
            raise MalformedBodyError
        raise IncompleteBodyError
    return line.rstrip(b"\r\n")


def read_chunked(stream: io.BufferedIOBase, limit: int = GATEWAY_MAX_PAYLOAD_BYTES) -> bytes:
    """A ``Transfer-Encoding: chunked`` body, decoded.

    Reading it all also keeps the connection usable: unread chunks would be parsed as the next request.
    """
    body = bytearray()
    while True:
        size_field = _line(stream).split(b";", 1)[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_field):
            raise MalformedBodyError
        size = int(size_field, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise PayloadTooLargeError
        body += read_exactly(stream, size)
        if _line(stream):  # the CRLF that ends each chunk's data, and nothing else
            raise MalformedBodyError
    for _ in range(_MAX_TRAILER_LINES):  # trailers, up to the blank line
        if not _line(stream):
            return bytes(body)
    raise MalformedBodyError
