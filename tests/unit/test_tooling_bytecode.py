"""The kit tells the kinds of .pyc apart as Python writes them (devtools/lambda_kit/bytecode.py)."""

from __future__ import annotations

import importlib.util
import py_compile
from pathlib import Path

import pytest

from devtools.lambda_kit.bytecode import is_hash_based, read_header

MODES = {
    "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
    "checked": py_compile.PycInvalidationMode.CHECKED_HASH,
    "unchecked": py_compile.PycInvalidationMode.UNCHECKED_HASH,
}


@pytest.mark.parametrize("mode", MODES)
def test_each_kind_of_pyc_is_read_as_written(tmp_path: Path, mode: str) -> None:
    source = tmp_path / "module.py"
    source.write_text("ANSWER = 42\n")
    pyc = tmp_path / "module.pyc"
    py_compile.compile(str(source), cfile=str(pyc), invalidation_mode=MODES[mode], doraise=True)
    header = read_header(pyc)
    assert header is not None
    assert header.magic == importlib.util.MAGIC_NUMBER
    assert header.hash_based == is_hash_based(pyc) == (mode != "timestamp")
    assert header.unchecked_hash == (mode == "unchecked")
    if mode != "timestamp":
        assert header.source_key == importlib.util.source_hash(source.read_bytes())


def test_a_truncated_pyc_has_no_header(tmp_path: Path) -> None:
    pyc = tmp_path / "short.pyc"
    pyc.write_bytes(importlib.util.MAGIC_NUMBER + b"\x01\x00")
    assert read_header(pyc) is None
    assert not is_hash_based(pyc)
