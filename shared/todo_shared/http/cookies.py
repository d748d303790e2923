"""The auth cookies: the access token's and the refresh token's; HttpOnly, and over HTTPS the attributes a
cross-site frontend needs."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

from fastapi import Request, Response

AUTH_COOKIE = "todo_auth"
REFRESH_COOKIE = "todo_refresh"
# The refresh token goes only to the auth routes (refresh and logout need it; task requests never carry it).
REFRESH_COOKIE_PATH = "/api/auth"


def _cookie_attributes(request: Request, path: str = "/") -> list[str]:
    """HttpOnly always. Over HTTPS (API Gateway) the frontend is cross-site: ``SameSite=None; Secure``, and
    ``Partitioned`` (CHIPS) so browsers that block third-party cookies keep it per frontend site. On
    plain-http localhost, ``SameSite=Lax`` without ``Secure`` (browsers drop ``SameSite=None`` without it).
    """
    attributes = [f"Path={path}", "HttpOnly"]
    if request.url.scheme == "https":
        attributes += ["Secure", "SameSite=None", "Partitioned"]
    else:
        attributes.append("SameSite=Lax")
    return attributes


def _set(
    response: Response, request: Request, name: str, value: str, expires_at: datetime, path: str
) -> None:
    max_age = max(0, int((expires_at - datetime.now(expires_at.tzinfo)).total_seconds()))
    cookie = "; ".join(
        [
            f"{name}={value}",
            f"Max-Age={max_age}",
            f"Expires={format_datetime(expires_at, usegmt=True)}",
            *_cookie_attributes(request, path),
        ]
    )
    response.headers.append("set-cookie", cookie)


def _clear(response: Response, request: Request, name: str, path: str) -> None:
    cookie = "; ".join(
        [f"{name}=", "Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT", *_cookie_attributes(request, path)]
    )
    response.headers.append("set-cookie", cookie)


def set_auth_cookie(response: Response, request: Request, token: str, expires_at: datetime) -> None:
    """Set the auth cookie to ``token`` (a compact JWT: cookie-safe characters only) until ``expires_at``."""
    _set(response, request, AUTH_COOKIE, token, expires_at, "/")


def set_refresh_cookie(response: Response, request: Request, token: str, expires_at: datetime) -> None:
    """Set the refresh cookie (URL-safe base64: cookie-safe) until the session would expire."""
    _set(response, request, REFRESH_COOKIE, token, expires_at, REFRESH_COOKIE_PATH)


def clear_auth_cookie(response: Response, request: Request) -> None:
    _clear(response, request, AUTH_COOKIE, "/")


def clear_refresh_cookie(response: Response, request: Request) -> None:
    _clear(response, request, REFRESH_COOKIE, REFRESH_COOKIE_PATH)


def clear_session_cookies(response: Response, request: Request) -> None:
    """Signed out: neither the access nor the refresh cookie stays."""
    clear_auth_cookie(response, request)
    clear_refresh_cookie(response, request)
