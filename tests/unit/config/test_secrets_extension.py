"""SECRETS_READER=extension: secrets through the Parameters and Secrets Lambda Extension's HTTP interface,
answered by a stand-in backed by moto (devtools/secrets_extension_standin.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devtools.net import free_port
from devtools.secrets_extension_standin import StandIn, extension_standin
from tests.support.dead_endpoints import unresponsive_endpoint
from todo_shared.config import secrets_extension
from todo_shared.config.secrets import SecretStoreError
from todo_shared.config.settings import SettingsError, load_settings

NEON_URL = "postgresql://alex:AbC123dEf@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
SECRET = "a-real-looking-secret-Vq3zK8mW2pX7tB9nR4hL6cJ1"
TOKEN = "session-token-of-this-container"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with (
        mock_aws(),
        extension_standin(
            secretsmanager=boto3.client("secretsmanager"), ssm=boto3.client("ssm"), token=TOKEN
        ) as server,
    ):
        yield server


def _production(port: int, token: str = TOKEN, **refs: str) -> dict[str, str]:
    return {
        "ENVIRONMENT": "production",
        "SECRETS_READER": "extension",
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(port),
        "AWS_SESSION_TOKEN": token,
        **refs,
    }


def _store_both() -> str:
    arn = boto3.client("secretsmanager").create_secret(Name="todo/db", SecretString=NEON_URL)["ARN"]
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    return str(arn)


def test_reads_secrets_manager_by_arn_and_ssm_by_name_through_the_extension(standin: StandIn) -> None:
    arn = _store_both()
    settings = load_settings(
        _production(standin.port, DATABASE_URL_REF=arn, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret")
    )
    assert settings.database_url == NEON_URL
    assert settings.better_auth_secret == SECRET
    # The extension was asked, with the extension's paths (not boto3 directly).
    assert standin.requests == [
        f"/secretsmanager/get?secretId={arn.replace(':', '%3A').replace('/', '%2F')}",
        "/systemsmanager/parameters/get?name=%2Ftodo%2Fauth-secret&withDecryption=true",
    ]


def test_reads_secrets_manager_by_name_and_ssm_by_arn_through_the_extension(standin: StandIn) -> None:
    _store_both()
    ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/todo/auth-secret"
    settings = load_settings(
        _production(standin.port, DATABASE_URL_REF="secretsmanager:todo/db", BETTER_AUTH_SECRET_REF=ssm_arn)
    )
    assert (settings.database_url, settings.better_auth_secret) == (NEON_URL, SECRET)
    assert len(standin.requests) == 2


def test_json_secret_is_unwrapped_by_setting_name_through_the_extension(standin: StandIn) -> None:
    document = json.dumps({"DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": SECRET})
    arn = boto3.client("secretsmanager").create_secret(Name="todo/all", SecretString=document)["ARN"]
    settings = load_settings(_production(standin.port, DATABASE_URL_REF=arn, BETTER_AUTH_SECRET_REF=arn))
    assert (settings.database_url, settings.better_auth_secret) == (NEON_URL, SECRET)


def test_json_secret_without_the_setting_is_one_line(standin: StandIn) -> None:
    arn = boto3.client("secretsmanager").create_secret(
        Name="todo/other", SecretString=json.dumps({"OTHER": SECRET})
    )["ARN"]
    with pytest.raises(SettingsError) as caught:
        load_settings(_production(standin.port, DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF=arn))
    assert str(caught.value) == (
        "BETTER_AUTH_SECRET_REF: the secret is a JSON object without a string key 'BETTER_AUTH_SECRET'"
    )


def test_missing_secret_is_the_same_one_line_as_with_powertools(
    standin: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(
                standin.port,
                DATABASE_URL_REF="secretsmanager:todo/missing",
                BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret",
            )
        )
    assert str(caught.value) == (
        "DATABASE_URL_REF: could not read 'secretsmanager:todo/missing' (ResourceNotFoundException)"
    )
    assert SECRET not in caplog.text


def test_missing_ssm_parameter_names_ssm_s_error_code(standin: StandIn) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(standin.port, DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF="ssm:/todo/none")
        )
    assert str(caught.value) == "BETTER_AUTH_SECRET_REF: could not read 'ssm:/todo/none' (ParameterNotFound)"


def test_wrong_token_is_one_line_without_the_token(standin: StandIn) -> None:
    _store_both()
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(
                standin.port,
                token="stolen-or-stale",
                DATABASE_URL=NEON_URL,
                BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret",
            )
        )
    message = str(caught.value)
    assert message == (
        "BETTER_AUTH_SECRET_REF: could not read 'ssm:/todo/auth-secret' (HTTP 401: the extension refused the token)"
    )
    assert "stolen-or-stale" not in message


def test_no_session_token_is_one_line(standin: StandIn) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(
                standin.port, token="", DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret"
            )
        )
    assert str(caught.value) == (
        "BETTER_AUTH_SECRET_REF: could not read 'ssm:/todo/auth-secret' "
        "(AWS_SESSION_TOKEN is not set: the extension requires it)"
    )
    assert standin.requests == []


def test_extension_not_running_is_one_line_at_once() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(port, DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret")
        )
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        "BETTER_AUTH_SECRET_REF: could not read 'ssm:/todo/auth-secret' "
        f"(ConnectionRefusedError: is the extension running on localhost:{port}?)"
    )


@pytest.mark.parametrize("behaviour", ["silent", "trickle"])
def test_extension_that_hangs_or_trickles_gives_up_at_the_deadline(behaviour: str) -> None:
    # The server holds far longer than ten times the deadline, so the bound below tells giving up at the
    # deadline from waiting for the server, without asserting a time tighter than ten times the expected one.
    with unresponsive_endpoint(behaviour, hold_seconds=30.0) as origin:  # type: ignore[arg-type]
        port = int(origin.rsplit(":", 1)[1])
        started = time.monotonic()
        with pytest.raises(SecretStoreError) as caught:
            secrets_extension.read_secret(
                "ssm:/todo/auth-secret",
                setting="BETTER_AUTH_SECRET",
                env=_production(port),
                deadline_seconds=0.5,
            )
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 5.0
    assert str(caught.value) == (
        "could not read 'ssm:/todo/auth-secret' "
        f"(TimeoutError: no answer from the extension on localhost:{port} within 0.5 s)"
    )


def test_unknown_reader_is_refused() -> None:
    env = {**_production(1), "SECRETS_READER": "boto3", "DATABASE_URL_REF": "ssm:/todo/db"}
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert str(caught.value) == "SECRETS_READER must be 'powertools' or 'extension', got 'boto3'"


def test_reading_through_the_extension_imports_no_boto3(standin: StandIn) -> None:
    """The point of the option: the cold path pays for the standard library's socket, not boto3."""
    _store_both()
    env = {
        **os.environ,
        **_production(
            standin.port,
            DATABASE_URL_REF="secretsmanager:todo/db",
            BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret",
        ),
        "BCRYPT_ROUNDS": "10",  # the test run's 4 is refused outside local development
    }
    script = (
        "import sys\n"
        "from todo_shared.config.settings import load_settings\n"
        "import os\n"
        "settings = load_settings(dict(os.environ))\n"
        "assert settings.better_auth_secret\n"
        "print(sorted(name for name in ('boto3', 'botocore', 'aws_lambda_powertools') if name in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
