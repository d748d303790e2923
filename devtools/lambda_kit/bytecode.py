"""What kind of bytecode a ``.pyc`` file holds, from its header (PEP 552).

Lambda unpacks code from a zip, which keeps no modification times: a timestamp-based ``.pyc`` looks stale
there and its source is compiled again at every cold start; a hash-based one is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The header's flags word (bytes 4-8, little-endian): bit 0 = hash-based, bit 1 = checked against the source.
HASH_BASED = 0b01
HEADER_SIZE = 16


@dataclass(frozen=True, slots=True)
class PycHeader:
    magic: bytes  # the interpreter version that wrote it (importlib.util.MAGIC_NUMBER)
    flags: int
    source_key: bytes  # hash-based: the source's hash (importlib.util.source_hash); else its mtime and size

    @property
    def hash_based(self) -> bool:
        return bool(self.flags & HASH_BASED)

    @property
    def unchecked_hash(self) -> bool:
        """Hash-based and never checked against the source (no other flag): what the layer ships."""
        return self.flags == HASH_BASED


def read_header(pyc: Path) -> PycHeader | None:
    """The header of ``pyc``, or None when the file is too short to hold one."""
    with pyc.open("rb") as handle:
        header = handle.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        return None
    return PycHeader(magic=header[:4], flags=int.from_bytes(header[4:8], "little"), source_key=header[8:16])


def is_hash_based(pyc: Path) -> bool:
    header = read_header(pyc)
    return header is not None and header.hash_based
