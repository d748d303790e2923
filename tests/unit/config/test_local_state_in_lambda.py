"""The local defaults (a SQLite file and a generated dev secret under LOCAL_STATE_DIR) never write into a Lambda
function's code directory, and a state directory that cannot be written is one line naming the setting.

Under ``sam local`` with ``ENVIRONMENT=local`` and no ``DATABASE_URL``/``BETTER_AUTH_SECRET``, the state
directory (``.local``, relative to the working directory) is inside ``/var/task``, which is read-only: that
was a 500 with ``OSError: [Errno 30] Read-only file system: '.local'``. The same through a real container
(``sam local invoke``): tests/system/test_sam_local.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from todo_shared.config.settings import SettingsError, load_settings

SECRET = "a-local-test-secret-that-is-long-enough-0123456789"


def _local(**extra: str) -> dict[str, str]:
    return {"ENVIRONMENT": "local", **extra}


def test_no_database_url_inside_the_code_directory_is_a_settings_error(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    env = _local(LAMBDA_TASK_ROOT=str(task), LOCAL_STATE_DIR=str(task / ".local"))
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, "BETTER_AUTH_SECRET": SECRET})
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("DATABASE_URL is not set")
    assert message.endswith("set DATABASE_URL")
    assert list(task.iterdir()) == []


def test_no_secret_inside_the_code_directory_is_a_settings_error_and_writes_nothing(tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    env = _local(LAMBDA_TASK_ROOT=str(task), LOCAL_STATE_DIR=str(task / ".local"))
    with pytest.raises(SettingsError) as raised:
        load_settings({**env, "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db"})
    assert str(raised.value).startswith("BETTER_AUTH_SECRET is not set")
    assert list(task.iterdir()) == []


def test_a_relative_state_directory_is_judged_where_it_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda's working directory is the code directory: the default ``.local`` lies inside it."""
    task = tmp_path / "task"
    task.mkdir()
    monkeypatch.chdir(task)
    with pytest.raises(SettingsError, match=r"^DATABASE_URL is not set"):
        load_settings(_local(LAMBDA_TASK_ROOT=str(task), BETTER_AUTH_SECRET=SECRET))


def test_outside_the_code_directory_the_local_defaults_still_work(tmp_path: Path) -> None:
    task, state = tmp_path / "task", tmp_path / "state"
    task.mkdir()
    settings = load_settings(_local(LAMBDA_TASK_ROOT=str(task), LOCAL_STATE_DIR=str(state)))
    assert settings.database_url == f"sqlite:///{state / 'todo.db'}"
    assert (state / "dev-secret").read_text().strip() == settings.better_auth_secret
    assert list(task.iterdir()) == []


def test_a_state_directory_that_cannot_be_created_is_a_settings_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = _local(LOCAL_STATE_DIR=str(blocker / "state"), DATABASE_URL=f"sqlite:///{tmp_path}/t.db")
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    message = str(raised.value)
    assert message == (
        f"LOCAL_STATE_DIR {str(blocker / 'state')!r} cannot be created (Not a directory): "
        "set LOCAL_STATE_DIR to a writable directory, or DATABASE_URL and BETTER_AUTH_SECRET"
    )
