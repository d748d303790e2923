"""Tokens for the tests, and a stand-in for Better Auth's JWKS endpoint: real HTTP on loopback, with keys the tests generate.

``JwksServer`` serves ``GET /api/auth/jwks`` from a thread on 127.0.0.1 (a free port); tests swap its keys
(rotation), count its requests, slow it down, make it fail or redirect. ``SigningKey`` signs tokens the way
Better Auth's ``jwt`` plugin does: header ``{alg, kid}``, claims ``sub``/``id``, ``email``, ``name``,
``iss`` = ``aud`` = the origin, ``iat``, ``exp`` (15 minutes), no ``jti``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tests.support.app_state import TEST_SECRET
from tests.support.leak_guard import register_token
from todo_shared.auth import better_auth
from todo_shared.auth.tokens import ISSUER
from todo_shared.config.settings import get_settings

BETTER_AUTH_ALGORITHMS = ("EdDSA", "ES256", "ES512", "RS256", "PS256")
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


USER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
BA_USER = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY"  # Better Auth ids: 32 alphanumerics


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64_json(value: Any) -> str:
    return b64(json.dumps(value).encode())


def crafted(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None = None) -> str:
    """A token built by hand: PyJWT refuses to produce some of the forgeries we need to refuse."""
    signing_input = f"{b64_json(header)}.{b64_json(claims)}"
    signature = (
        b"" if hmac_key is None else hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{b64(signature)}"


def hs256(claims: dict[str, Any], secret: str = TEST_SECRET, **headers: Any) -> str:
    return jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


SEVEN_DAYS = 7 * 24 * 3600


def frontend_token(lifetime: int = SEVEN_DAYS, **claims: Any) -> str:
    """What a frontend's server route signs: the claims, iat now, exp = iat + lifetime (jose's
    ``setIssuedAt().setExpirationTime("7d")`` gives exactly 604800 s), HS256 with the shared secret."""
    now = int(time.time())
    token = jwt.encode({**claims, "iat": now, "exp": now + lifetime}, TEST_SECRET, algorithm="HS256")
    register_token(token, "a frontend's HS256 token minted by tests.support.jwks.frontend_token")
    return token


def our_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": USER_ID,
        "user_id": USER_ID,
        "email": "person@example.com",
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "iss": ISSUER,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private_key: PrivateKey
    public_jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=self.algorithm, headers={"kid": self.kid, **(headers or {})}
        )


def make_key(algorithm: str, kid: str) -> SigningKey:
    private: PrivateKey
    if algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm in ("ES256", "ES512"):
        private = ec.generate_private_key(ec.SECP256R1() if algorithm == "ES256" else ec.SECP521R1())
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif algorithm in ("RS256", "PS256"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        raise ValueError(algorithm)
    return SigningKey(kid, algorithm, private, {**jwk, "kid": kid, "alg": algorithm})


def better_auth_claims(
    origin: str,
    *,
    sub: str,
    email: str | None = "person@example.com",
    name: str | None = "Person",
    lifetime: int = 900,
    now: float | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "id": sub,
        "email": email,
        "name": name,
        "emailVerified": False,
        "iss": origin,
        "aud": origin,
        "iat": issued,
        "exp": issued + lifetime,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


@dataclass
class JwksServer:
    """``GET /api/auth/jwks`` on loopback. ``keys`` may hold raw dicts to serve odd documents."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    delay_seconds: float = 0.0
    status: int = 200
    body: bytes | None = None  # overrides the JSON document when set
    declared_length: int | None = None  # a Content-Length that lies (the connection then closes early)
    redirect_to: str | None = None  # answer ``redirect_status`` with this Location instead of the keys
    redirect_status: int = 302
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, *keys: SigningKey) -> None:
        self.keys = [key.public_jwk for key in keys]

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                if outer.delay_seconds:
                    time.sleep(outer.delay_seconds)
                if self.path != better_auth.JWKS_PATH:
                    self.send_error(404)
                    return
                if outer.redirect_to is not None:
                    self.send_response(outer.redirect_status)
                    self.send_header("Location", outer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = outer.body if outer.body is not None else json.dumps({"keys": outer.keys}).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    length = outer.declared_length if outer.declared_length is not None else len(body)
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


@contextmanager
def running_jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def better_auth_enabled(origin: str) -> Iterator[None]:
    """Set ``BETTER_AUTH_URL`` for the app (settings and key caches reset on the way in and out)."""
    previous = os.environ.get("BETTER_AUTH_URL")
    os.environ["BETTER_AUTH_URL"] = origin
    get_settings.cache_clear()
    better_auth.clear_jwks_cache()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("BETTER_AUTH_URL", None)
        else:
            os.environ["BETTER_AUTH_URL"] = previous
        get_settings.cache_clear()
        better_auth.clear_jwks_cache()


@contextmanager
def better_auth_serving(*keys: SigningKey) -> Iterator[JwksServer]:
    """A JWKS on loopback publishing ``keys``, with ``BETTER_AUTH_URL`` set to its origin."""
    with running_jwks_server() as server:
        server.serve(*keys)
        with better_auth_enabled(server.origin):
            yield server
