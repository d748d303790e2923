"""`python -m devtools.invoke` as a user runs it: the result alone on stdout (pipeable to jq), a token by flag."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from devtools.paths import ROOT
from tests.support.accounts import create_account
from tests.support.app_state import Backend


def invoke(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "devtools.invoke", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_stdout_is_the_result_alone_and_a_token_can_be_given(database: Backend) -> None:
    account = create_account(database)
    without = invoke("TasksFunction", "-e", "events/tasks-list.json", database_url=database.url)
    assert json.loads(without.stdout)["statusCode"] == 401  # stdout parses as one JSON document
    assert "pass --token" in without.stderr
    assert '"level"' in without.stderr  # the function's log lines went to stderr

    given = invoke(
        "TasksFunction",
        "-e",
        "events/tasks-user-list.json",
        "--token",
        account.token,
        "--user-id",
        account.user_id,
        database_url=database.url,
    )
    result = json.loads(given.stdout)
    assert result["statusCode"] == 200, given.stderr
    assert json.loads(result["body"]) == []  # the spec's path: a bare array
    assert result["headers"]["x-total-count"] == "0"
