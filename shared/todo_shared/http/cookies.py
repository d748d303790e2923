"""The auth cookie: HttpOnly, and over HTTPS the attributes a cross-site frontend needs."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

from fastapi import Request, Response

AUTH_COOKIE = "todo_auth"


def _cookie_attributes(request: Request) -> list[str]:
    """HttpOnly always. Over HTTPS (API Gateway) the frontend is cross-site: ``SameSite=None; Secure``, and
    ``Partitioned`` (CHIPS) so browsers that block third-party cookies keep it per frontend site. On
    plain-http localhost, ``SameSite=Lax`` without ``Secure`` (browsers drop ``SameSite=None`` without it).
    """
    attributes = ["Path=/", "HttpOnly"]
    if request.url.scheme == "https":
        attributes += ["Secure", "SameSite=None", "Partitioned"]
    else:
        attributes.append("SameSite=Lax")
    return attributes


def set_auth_cookie(response: Response, request: Request, token: str, expires_at: datetime) -> None:
    """Set the auth cookie to ``token`` (a compact JWT: cookie-safe characters only) until ``expires_at``."""
    max_age = max(0, int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds()))
    cookie = "; ".join(
        [
            f"{AUTH_COOKIE}={token}",
            f"Max-Age={max_age}",
            f"Expires={format_datetime(expires_at, usegmt=True)}",
            *_cookie_attributes(request),
        ]
    )
    response.headers.append("set-cookie", cookie)


def clear_auth_cookie(response: Response, request: Request) -> None:
    cookie = "; ".join(
        [
            f"{AUTH_COOKIE}=",
            "Max-Age=0",
            "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            *_cookie_attributes(request),
        ]
    )
    response.headers.append("set-cookie", cookie)
