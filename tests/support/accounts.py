"""Users, tokens and tasks for API tests, without the auth routes.

A ``users`` row is written directly over the backend's direct URL and a token is minted with the test
secret, exactly as ``/api/auth/login`` would issue it. Emails are unique, so tests need no clean-up.
"""

from __future__ import annotations

import atexit
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Engine
from sqlmodel import Session

from tests.support.app_state import TEST_SECRET, Backend
from tests.support.leak_guard import register_email, register_token
from todo_shared.auth.tokens import issue_token
from todo_shared.db.engine import build_engine
from todo_shared.models import LOCAL_ISSUER, Task, User, utc_now


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@cache
def direct_engine(url: str) -> Engine:
    """One engine per database for the whole run (a new PostgreSQL connection per account costs ~25 ms)."""
    engine = build_engine(url)
    atexit.register(engine.dispose)
    return engine


def create_account(backend: Backend, *, name: str | None = None) -> Account:
    """A new user and a token for them."""
    user_id = str(uuid.uuid4())
    email = f"user-{uuid.uuid4().hex}@example.com"
    now = utc_now()
    with Session(direct_engine(backend.direct_url)) as session:
        session.add(
            User(
                id=user_id,
                issuer=LOCAL_ISSUER,
                subject=user_id,
                email=email,
                name=name,
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    token = issue_token(user_id=user_id, email=email, secret=TEST_SECRET, expires_minutes=60).token
    register_token(token, "a token minted by tests.support.accounts.create_account")
    register_email(email, "the email of an account from tests.support.accounts.create_account")
    return Account(user_id=user_id, email=email, token=token)


def insert_tasks(backend: Backend, tasks: Iterable[Task]) -> list[Task]:
    """Tasks written as given (timestamps included), in one transaction; their ids are set on return."""
    inserted = list(tasks)
    with Session(direct_engine(backend.direct_url), expire_on_commit=False) as session:
        session.add_all(inserted)
        session.commit()
    return inserted
