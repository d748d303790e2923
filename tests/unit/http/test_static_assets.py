"""Precompressed static files: gzip only to a client that accepts it, the same bytes otherwise."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from todo_shared.http.static_assets import IMMUTABLE, accepts_gzip, gzipped_file_response


@pytest.mark.parametrize(
    ("accept_encoding", "accepted"),
    [
        ("gzip, deflate, br, zstd", True),  # Chromium
        ("GZIP", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("x-gzip", True),
        ("*", True),
        ("", False),  # curl without --compressed
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),  # gzip refused by name outweighs the wildcard
        ("*;q=0", False),
        ("gzip;q=nonsense", False),
        (",,;", False),
    ],
)
def test_accept_encoding_decides_gzip(accept_encoding: str, accepted: bool) -> None:
    assert accepts_gzip(accept_encoding) is accepted


def test_the_compressed_copy_goes_as_it_is_or_inflated(tmp_path: Path) -> None:
    content = b"body { color: black }\n" * 100
    path = tmp_path / "style.css.gz"
    path.write_bytes(gzip.compress(content))
    compressed = gzipped_file_response(path, media_type="text/css", accept_encoding="gzip")
    assert compressed.body == path.read_bytes()
    assert compressed.headers["content-encoding"] == "gzip"
    plain = gzipped_file_response(path, media_type="text/css", accept_encoding="identity")
    assert plain.body == content
    assert "content-encoding" not in plain.headers
    for response in (compressed, plain):
        assert response.headers["content-type"] == "text/css; charset=utf-8"
        assert response.headers["cache-control"] == IMMUTABLE
        assert response.headers["vary"] == "Accept-Encoding"
