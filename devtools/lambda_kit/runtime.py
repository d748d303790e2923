"""The packages Lambda's Python runtime provides (/var/runtime), installed here for the isolated interpreters."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from devtools.paths import ROOT

BOTO3_PINNED_IN = ROOT / "requirements-run.txt"


def runtime_standin(python: str) -> Path:
    """A folder standing in for the packages the Lambda runtime provides (/var/runtime): boto3 and its
    dependencies, pinned as requirements-run.txt pins them locally. The layer leaves them out, and Powertools'
    Tracer imports botocore (through aws_xray_sdk) even when tracing is off."""
    pins = re.findall(r"^boto3==\S+", BOTO3_PINNED_IN.read_text(), flags=re.MULTILINE)
    if len(pins) != 1:
        raise RuntimeError(
            f"{BOTO3_PINNED_IN.name} must pin boto3 exactly once (boto3==X), the runtime's stand-in"
        )
    target = ROOT / ".aws-sam" / "lambda-runtime"
    stamp = target / ".pin"
    if stamp.is_file() and stamp.read_text() == pins[0]:
        return target
    shutil.rmtree(target, ignore_errors=True)
    completed = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            "--only-binary=:all:",
            "--target",
            str(target),
            pins[0],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"could not install {pins[0]} as the runtime's stand-in:\n{completed.stderr[-4000:]}"
        )
    stamp.write_text(pins[0])
    return target
