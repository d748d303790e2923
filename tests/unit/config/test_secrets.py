"""Secrets from Secrets Manager and SSM SecureString through Powertools Parameters (AWS answered by moto)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from todo_shared.config.secrets import clear_secret_cache
from todo_shared.config.settings import SettingsError, get_settings, load_settings

NEON_URL = "postgresql://alex:AbC123dEf@ep-x-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require"
SECRET = "a-real-looking-secret-Vq3zK8mW2pX7tB9nR4hL6cJ1"


@pytest.fixture
def aws() -> Iterator[None]:
    clear_secret_cache()
    with mock_aws():
        yield
    clear_secret_cache()


def _production(**refs: str) -> dict[str, str]:
    return {"ENVIRONMENT": "production", **refs}


def test_reads_secrets_manager_by_arn_and_ssm_by_name(aws: None) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="todo/db", SecretString=NEON_URL)["ARN"]
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    settings = load_settings(
        _production(DATABASE_URL_REF=arn, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret")
    )
    assert settings.database_url == NEON_URL
    assert settings.better_auth_secret == SECRET


def test_reads_secrets_manager_by_name_and_ssm_by_arn(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="todo/db", SecretString=NEON_URL)
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/todo/auth-secret"
    settings = load_settings(
        _production(DATABASE_URL_REF="secretsmanager:todo/db", BETTER_AUTH_SECRET_REF=ssm_arn)
    )
    assert settings.database_url == NEON_URL
    assert settings.better_auth_secret == SECRET


def test_json_secret_is_unwrapped_by_setting_name(aws: None) -> None:
    document = json.dumps({"DATABASE_URL": NEON_URL, "BETTER_AUTH_SECRET": SECRET})
    arn = boto3.client("secretsmanager").create_secret(Name="todo/all", SecretString=document)["ARN"]
    settings = load_settings(_production(DATABASE_URL_REF=arn, BETTER_AUTH_SECRET_REF=arn))
    assert settings.database_url == NEON_URL
    assert settings.better_auth_secret == SECRET


def test_reference_wins_over_plain_variable(aws: None) -> None:
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    settings = load_settings(
        _production(
            DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET="y" * 40, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret"
        )
    )
    assert settings.better_auth_secret == SECRET


def test_plain_variables_are_the_fallback_for_sam_local() -> None:
    settings = load_settings(_production(DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET=SECRET))
    assert settings.database_url == NEON_URL


def test_missing_secret_is_one_line_naming_the_reference(aws: None, caplog: pytest.LogCaptureFixture) -> None:
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _production(
                DATABASE_URL_REF="secretsmanager:todo/missing", BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret"
            )
        )
    message = str(caught.value)
    assert (
        message
        == "DATABASE_URL_REF: could not read 'secretsmanager:todo/missing' (ResourceNotFoundException)"
    )
    assert "\n" not in message
    assert SECRET not in caplog.text


def test_unknown_reference_form_is_refused(aws: None) -> None:
    with pytest.raises(SettingsError, match=r"^BETTER_AUTH_SECRET_REF: 'my-secret' is not a reference"):
        load_settings(_production(DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF="my-secret"))


def test_short_secret_from_the_store_is_refused_without_echoing_it(aws: None) -> None:
    boto3.client("ssm").put_parameter(Name="/todo/short", Value="tiny-secret", Type="SecureString")
    with pytest.raises(SettingsError) as caught:
        load_settings(_production(DATABASE_URL=NEON_URL, BETTER_AUTH_SECRET_REF="ssm:/todo/short"))
    assert str(caught.value) == "BETTER_AUTH_SECRET must be at least 32 bytes, got 11"


def test_settings_are_read_once_per_container(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lazy and cached: the first use reads the stores; later uses do not call AWS again."""
    sm = boto3.client("secretsmanager")
    arn = sm.create_secret(Name="todo/db", SecretString=NEON_URL)["ARN"]
    boto3.client("ssm").put_parameter(Name="/todo/auth-secret", Value=SECRET, Type="SecureString")
    for name, value in _production(
        DATABASE_URL_REF=arn, BETTER_AUTH_SECRET_REF="ssm:/todo/auth-secret"
    ).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BCRYPT_ROUNDS", "10")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        first = get_settings()
        sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        clear_secret_cache()
        assert get_settings() is first
    finally:
        get_settings.cache_clear()
