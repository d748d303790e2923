"""scripts/bootstrap: two first commands started together in one clone take turns setting up `.venv`.

The attack of chance: `make run` in one terminal and `make test` in another, in a fresh clone, used to install
into one `.venv` at the same time (two pips writing one site-packages). The interpreter here is a stand-in that
answers what the scripts ask of Python and makes each `pip install` slow and recorded, so an overlap shows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from devtools.paths import ROOT

STUB = r"""
import os, shutil, sys, time

me, args = sys.argv[1], sys.argv[2:]
if args[:1] == ["-c"]:
    code = args[1]
    if "fcntl" in code:  # the lock's fallback where there is no flock command: the real interpreter does it
        os.execv(sys.executable, [sys.executable, *args])
    if "version_info" in code:
        print("3.13")
    elif "sys.executable" in code:
        print(me)
    elif "sysconfig" in code:
        site = os.path.join(os.path.dirname(os.path.dirname(me)), "site-packages")
        os.makedirs(site, exist_ok=True)
        print(site)
elif args[:2] == ["-m", "venv"]:
    os.makedirs(os.path.join(args[2], "bin"), exist_ok=True)
    shutil.copy(me, os.path.join(args[2], "bin", "python"))
elif args[:3] == ["-m", "pip", "install"]:
    log = os.environ["STUB_LOG"]
    with open(log, "a") as handle:
        handle.write(f"start {os.getpid()}\n")
    time.sleep(2)
    with open(log, "a") as handle:
        handle.write(f"end {os.getpid()}\n")
    print("Successfully installed stand-in")
"""


def fake_clone(directory: Path, stub: Path) -> Path:
    """The scripts and the files they read, and a ``python3.13`` that runs ``stub``."""
    clone = directory / "clone"
    (clone / "scripts").mkdir(parents=True)
    (clone / "shared").mkdir()
    for name in ("bootstrap", "find-python"):
        shutil.copy(ROOT / "scripts" / name, clone / "scripts" / name)
    for name in ("requirements.txt", "requirements-run.txt", "shared/requirements.txt"):
        (clone / name).write_text("stand-in==1\n")
    interpreter = directory / "python3.13"
    interpreter.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{stub}" "$0" "$@"\n')
    interpreter.chmod(0o755)
    return clone


def test_two_first_set_ups_at_once_take_turns(tmp_path: Path) -> None:
    stub = tmp_path / "stub.py"
    stub.write_text(STUB)
    clone = fake_clone(tmp_path, stub)
    log = tmp_path / "pip.log"
    env = {**os.environ, "PYTHON": str(tmp_path / "python3.13"), "STUB_LOG": str(log)}
    started = [
        subprocess.Popen(["scripts/bootstrap", "run"], cwd=clone, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [process.communicate(timeout=60)[1] for process in started]
    assert [process.returncode for process in started] == [0, 0], errors
    events = log.read_text().split()
    # One install, whole: the second waited for the first, then found .venv set up.
    assert events[0::2] == ["start", "end"], (events, errors)
    assert sum("waiting for it" in error for error in errors) == 1, errors
    assert (clone / ".venv" / ".run.sha256").is_file()
