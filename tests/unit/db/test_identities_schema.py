"""Identities in the schema: the migration (0004) over existing data, up and down, and the indexes the
lookups by identity and by email read.

Accounts created before it (local ones with a password, Better Auth ones without) keep their ids and tasks; a
Better Auth account is marked legacy and adopted by the first Better Auth token of its subject.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from devtools.migrate import migrate
from tests.support.app_state import empty_database
from tests.support.schema_checks import downgrade, plans, scratch_engine, statements_sent
from todo_shared.auth.claims import TokenError, VerifiedToken
from todo_shared.auth.users import find_by_email, user_for_token
from todo_shared.models import LEGACY_BETTER_AUTH_ISSUER, LOCAL_ISSUER

BETTER_AUTH = "https://auth.example.com"
LOCAL_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BA_ID = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"
CAROL_SUB = "cArOl5fG7hJ9kL1mN3pQ5rS7tU9vW1x"
OTHER_ORIGIN = "https://other.example.com"


def _insert(engine: Engine, sql: str, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql), values)


def _user_at_0003(engine: Engine, user_id: str, email: str, password_hash: str | None) -> None:
    _insert(
        engine,
        "INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (:i, :e, :p, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        i=user_id,
        e=email,
        p=password_hash,
    )
    _insert(
        engine,
        "INSERT INTO tasks (user_id, title, completed, priority, created_at, updated_at, version) "
        "VALUES (:u, :t, false, 'medium', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
        u=user_id,
        t=f"task of {user_id}",
    )


def _better_auth_token(sub: str, issuer: str = BETTER_AUTH) -> VerifiedToken:
    return VerifiedToken(
        issuer=issuer,
        user_id=sub,
        email="carol@example.com",
        name="Carol",
        token_id=None,
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
        source="better_auth",
        revocation_key=f"sig:{sub}",
    )


def _local_token(user_id: str) -> VerifiedToken:
    return replace(
        _better_auth_token(user_id, issuer=LOCAL_ISSUER), source="api", token_id="j", revocation_key="jti:j"
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_existing_accounts_get_their_identity_and_keep_their_tasks(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as url, scratch_engine(url) as engine:
        migrate(url, "0003")
        _user_at_0003(engine, LOCAL_ID, "carol@example.com", "$2b$04$hash")
        _user_at_0003(engine, BA_ID, "bea@example.com", None)
        migrate(url)
        with engine.connect() as connection:
            users = connection.execute(text("SELECT id, issuer, subject FROM users ORDER BY email")).all()
            tasks = connection.execute(text("SELECT user_id, title FROM tasks ORDER BY user_id")).all()
        assert [tuple(row) for row in users] == [
            (BA_ID, LEGACY_BETTER_AUTH_ISSUER, BA_ID),
            (LOCAL_ID, LOCAL_ISSUER, LOCAL_ID),
        ]
        # SQLite's foreign keys are on: a migration that copied the users table would have deleted every task.
        assert [tuple(row) for row in tasks] == [
            (LOCAL_ID, f"task of {LOCAL_ID}"),
            (BA_ID, f"task of {BA_ID}"),
        ]
        # One session per request, as the API has.
        # The Better Auth user's first token adopts the legacy account (same id, same tasks), once.
        for _ in range(2):
            with Session(engine) as session:
                adopted = user_for_token(session=session, token=_better_auth_token(BA_ID))
                assert (adopted.id, adopted.issuer, adopted.subject) == (BA_ID, BETTER_AUTH, BA_ID)
        with Session(engine) as session:
            # A Better Auth Carol is not the local Carol, and login by email finds only the local one.
            carol = user_for_token(session=session, token=_better_auth_token(CAROL_SUB))
            assert (carol.id, carol.issuer) == (CAROL_SUB, BETTER_AUTH)
        with Session(engine) as session:
            local = find_by_email(session=session, email="carol@example.com")
            assert local is not None
            assert local.id == LOCAL_ID
        with Session(engine) as session:
            # A user of another Better Auth origin with the adopted user's id is another account.
            other = user_for_token(session=session, token=_better_auth_token(BA_ID, issuer=OTHER_ORIGIN))
            assert other.id not in (BA_ID, LOCAL_ID)
            assert (other.issuer, other.subject) == (OTHER_ORIGIN, BA_ID)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_downgrade_refuses_while_an_email_has_two_accounts(kind: str, tmp_path: Path) -> None:
    with empty_database(kind, tmp_path) as url, scratch_engine(url) as engine:
        migrate(url, "0004")
        for user_id, issuer, password_hash in (
            (LOCAL_ID, LOCAL_ISSUER, "$2b$04$hash"),
            (BA_ID, BETTER_AUTH, None),
        ):
            _insert(
                engine,
                "INSERT INTO users (id, issuer, subject, email, password_hash, created_at, updated_at) "
                "VALUES (:i, :s, :i, 'carol@example.com', :p, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
                i=user_id,
                s=issuer,
                p=password_hash,
            )
        with pytest.raises(RuntimeError, match="1 email\\(s\\) belong to more than one account"):
            downgrade(url, "0003")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
        _insert(engine, "DELETE FROM users WHERE id = :i", i=BA_ID)
        downgrade(url, "0003")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, email FROM users")).all() == [
                (LOCAL_ID, "carol@example.com")
            ]
        migrate(url)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT issuer, subject FROM users")).one()
        assert tuple(row) == (LOCAL_ISSUER, LOCAL_ID)


def test_the_token_check_and_the_login_lookup_use_their_indexes(tmp_path: Path) -> None:
    """The statements the code sends, explained by PostgreSQL over a few thousand accounts of both kinds:
    each reads its unique index (the partial one too: the lookup by email spells out its predicate)."""
    with empty_database("postgres", tmp_path) as url, scratch_engine(url) as engine:
        migrate(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
                "SELECT 'u' || n, CASE WHEN n % 2 = 0 THEN 'local' ELSE 'https://auth.example.com' END, 'u' || n, "
                "'user' || n || '@example.com', now(), now() FROM generate_series(1, 5000) AS n"
            )
            connection.exec_driver_sql("ANALYZE users")
        with statements_sent(engine, "users") as sent:
            with Session(engine) as session, pytest.raises(TokenError):
                user_for_token(session=session, token=_local_token(LOCAL_ID))
            with Session(engine) as session:
                find_by_email(session=session, email="nobody@example.com")
        assert len(sent) == 2, sent
        by_token, by_email = plans(engine, sent)
    assert "Index Scan using uq_users_issuer_subject" in by_token, by_token
    assert "Index Scan using uq_users_local_email_lower" in by_email, by_email


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_frontend_users_may_have_no_email_and_the_migration_keeps_everything_else(
    kind: str, tmp_path: Path
) -> None:
    """0006 makes users.email nullable. On SQLite it swaps the column in place: copying the table (the usual
    way) with foreign keys on would cascade-delete every task and session of every account."""
    with empty_database(kind, tmp_path) as url, scratch_engine(url) as engine:
        migrate(url, "0005")
        _insert(
            engine,
            "INSERT INTO users (id, issuer, subject, email, password_hash, created_at, updated_at) "
            "VALUES (:i, 'local', :i, 'carol@example.com', '$2b$04$hash', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            i=LOCAL_ID,
        )
        _insert(
            engine,
            "INSERT INTO tasks (user_id, title, completed, priority, created_at, updated_at, version) "
            "VALUES (:u, 'kept', false, 'medium', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
            u=LOCAL_ID,
        )
        migrate(url)
        with Session(engine) as session:
            frontend = user_for_token(session=session, token=replace(_better_auth_token(BA_ID), email=None))
            assert (frontend.id, frontend.email) == (BA_ID, None)
        with pytest.raises(RuntimeError, match="1 account\\(s\\) have no email"):
            downgrade(url, "0005")
        _insert(engine, "DELETE FROM users WHERE id = :i", i=BA_ID)
        downgrade(url, "0005")
        migrate(url)
        with engine.connect() as connection:
            users = connection.execute(text("SELECT id, email FROM users")).all()
            tasks = connection.execute(text("SELECT user_id, title FROM tasks")).all()
        assert [tuple(row) for row in users] == [(LOCAL_ID, "carol@example.com")]
        assert [tuple(row) for row in tasks] == [(LOCAL_ID, "kept")]
        with pytest.raises(IntegrityError), engine.begin() as connection:  # the local emails' index is back
            connection.execute(
                text(
                    "INSERT INTO users (id, issuer, subject, email, created_at, updated_at) "
                    "VALUES ('l2', 'local', 'l2', 'CAROL@example.com', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
