"""The README's curl blocks run twice in a row against one `make run` server, as devtools.newcomer runs them in
CI: each run signs up its own user and uses the task it created (they used a fixed email, a fixed frontend user
and task id 1, so a second run met 409s and 404s)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from devtools import newcomer
from devtools.net import running_server
from devtools.paths import ROOT


def test_the_readme_blocks_can_be_run_again(tmp_path: Path) -> None:
    # A directory standing in for the clone: the README, and the .venv its frontend block's python uses.
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    state = tmp_path / "state"
    env = {key: value for key, value in os.environ.items() if key not in newcomer.SETTINGS}
    env |= {"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env")}
    with running_server("devtools.serve", env) as base:
        # The frontend block reads the API's secret from the environment, else from make run's file.
        walker = env | {"BETTER_AUTH_SECRET": (state / "dev-secret").read_text().strip()}
        runs = [newcomer.walk(tmp_path, base, walker, label=f", run {number}") for number in (1, 2)]
    for lines in runs:
        assert lines
        assert not [line for line in lines if line.startswith("FAIL")], "\n".join(lines)
