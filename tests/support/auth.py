"""Helpers for the auth tests: unique accounts, direct database access, and concurrent requests."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, delete

from tests.support.leak_guard import register_email, register_secret, register_token
from todo_shared.db.engine import get_engine
from todo_shared.models import LoginThrottle

PASSWORD = "tidy-otter-password-42"
register_secret(PASSWORD, "tests.support.auth.PASSWORD")


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def signup(
    api: httpx.Client, email: str, password: str = PASSWORD, name: str | None = None
) -> httpx.Response:
    register_secret(password, "a password given to tests.support.auth.signup")
    register_email(email, "an email given to tests.support.auth.signup")
    body: dict[str, str] = {"email": email, "password": password}
    if name is not None:
        body["name"] = name
    return api.post("/api/auth/signup", json=body)


def token_of(response: httpx.Response) -> str:
    assert response.status_code in (200, 201), response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    register_token(token, f"a token issued by {response.request.url.path}")
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def through_lambda(api: httpx.Client) -> bool:
    return api.base_url.host == "api.example.com"


def clear_login_throttle() -> None:
    """Forget every throttle counter (tests share one database and one source address per client)."""
    with Session(get_engine()) as session:
        session.exec(delete(LoginThrottle))
        session.commit()


def run_concurrently[T](calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` at once, each in its own thread, released together by a barrier.

    Each thread gets its own event loop, as each Lambda container has one (Mangum uses the current loop).
    """
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            barrier.wait(timeout=10)
            return call()
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
