"""Verification of the JWTs Better Auth's ``jwt`` plugin issues, against its JWKS.

- Keys come from ``<BETTER_AUTH_URL>/api/auth/jwks`` (standard library HTTP, short timeout, size cap, no
  redirects followed: a 3xx is a failed fetch) and are cached per container. A token naming an unknown
  ``kid`` (key rotation) triggers a refetch (at most one a second, from a bucket of ``UNKNOWN_KID_FETCH_BUDGET``
  that refills one every ``UNKNOWN_KID_REFILL_SECONDS``); the set is also refreshed after
  ``MAX_CACHE_AGE_SECONDS``. Every readable set replaces the cache, so a withdrawn key stops working; a failed
  fetch keeps the keys it had.
- An unknown ``kid`` is a 401 only when a fetch that must have seen its key did not list it: one that started
  after the token was signed (its ``iat`` plus the clock leeway), or after the request arrived. Otherwise the
  key may be new, and a refetch is made; when none is allowed now (the bucket is empty, or the endpoint failed a
  moment ago) the answer is a 503 with ``Retry-After``, never a 401 that would sign the user out. So junk
  tokens with made-up kids cannot turn a genuine token of a newly published key into a 401.
- Each key type has its own algorithm allow-list (``ALGORITHMS_BY_KEY``), narrowed further by the key's
  own ``alg`` when it declares one. ``none``, HS* and anything else never reach a key.
- ``iss`` and ``aud`` must both equal the Better Auth origin; ``exp``, ``iat`` and ``sub`` are required.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt import PyJWK

from todo_shared.auth.claims import LEEWAY_SECONDS, TokenError, token_error
from todo_shared.errors import KeysUnavailable
from todo_shared.observability import logger

JWKS_PATH = "/api/auth/jwks"
FETCH_TIMEOUT_SECONDS = 3.0
# An unknown kid (Better Auth rotated its keys) refetches the set: at most one fetch a second, so a token of
# a key published a moment after our last fetch waits for the next one instead of being refused, and from a
# bucket of UNKNOWN_KID_FETCH_BUDGET fetches refilled one every UNKNOWN_KID_REFILL_SECONDS (ten a minute), so
# a flood of made-up kids cannot hammer the endpoint, and a 503 it causes lasts one refill at most.
UNKNOWN_KID_MIN_INTERVAL_SECONDS = 1.0
UNKNOWN_KID_FETCH_BUDGET = 10
UNKNOWN_KID_REFILL_SECONDS = 6.0
# After a failed fetch, requests answer 503 at once for this long instead of each waiting for the endpoint.
RETRY_AFTER_FAILURE_SECONDS = 5.0
MAX_CACHE_AGE_SECONDS = 3600.0
MAX_JWKS_BYTES = 256 * 1024
MAX_KID_LENGTH = 256

# (kty, crv) → the algorithms a key of that type may verify. RSA keys have no curve.
ALGORITHMS_BY_KEY: dict[tuple[str, str | None], frozenset[str]] = {
    ("OKP", "Ed25519"): frozenset({"EdDSA"}),
    ("EC", "P-256"): frozenset({"ES256"}),
    ("EC", "P-521"): frozenset({"ES512"}),
    ("RSA", None): frozenset({"RS256", "PS256"}),
}
ASYMMETRIC_ALGORITHMS = frozenset().union(*ALGORITHMS_BY_KEY.values())
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
BAD_SIGNATURE = "Token signature does not verify against the JWKS key its kid names"
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# Monotonic clock, sleep, and the wall clock that tokens' iat is compared with; replaceable in tests.
_clock: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep
_wall_clock: Callable[[], float] = time.time


class JwksFetchError(Exception):
    """The JWKS could not be fetched or parsed; ``str(error)`` is safe to log."""


@dataclass(slots=True)
class _Key:
    jwk: dict[str, Any]
    algorithms: frozenset[str]
    bound: dict[str, PyJWK] = field(default_factory=dict)

    def for_algorithm(self, algorithm: str) -> PyJWK:
        """The key bound to ``algorithm`` (PyJWT then refuses a token whose header names another one)."""
        if algorithm not in self.bound:
            self.bound[algorithm] = PyJWK(self.jwk, algorithm=algorithm)
        return self.bound[algorithm]


def jwks_url(better_auth_url: str) -> str:
    return better_auth_url.rstrip("/") + JWKS_PATH


class _Deadline:
    """Shuts the fetch's sockets down when its time is up.

    A socket timeout bounds each read, not the whole response: a server that sends a byte now and then
    (headers included, which ``urllib`` reads before handing us anything) would hold the request for ever.
    Shutting the socket down wakes the blocked read at once, plain or TLS.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # The plain socket's method, also for a TLS socket: ssl.SSLSocket.shutdown would drop its SSL object
        # under the reading thread. OSError: already closed.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watched[C: http.client.HTTPConnection](base: type[C], deadline: _Deadline) -> type[C]:
    class Watched(base):  # type: ignore[valid-type,misc]  # a class built per fetch
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self._deadline), req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection, self._deadline), req)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: the keys must come from ``BETTER_AUTH_URL`` itself. A redirect is answered as an
    ``HTTPError`` (its status), like any other non-200 answer, so the fetch fails and the cache keeps its keys;
    followed, it would let whoever controls the target publish the keys we trust."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def fetch_jwks(url: str, timeout: float) -> list[Any]:
    """GET ``url`` and return its ``keys`` array, all within ``timeout`` seconds. Raises ``JwksFetchError``."""
    if not url.startswith(("https://", "http://")):
        raise JwksFetchError("the JWKS URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"Accept": "application/json", "User-Agent": "todo-api-jwks"}
    )
    with _Deadline(timeout) as deadline:
        opener = urllib.request.build_opener(_HttpHandler(deadline), _HttpsHandler(deadline), _NoRedirects())
        try:
            with opener.open(request, timeout=timeout) as response:
                if response.status != 200:
                    raise JwksFetchError(f"HTTP {response.status}")
                chunks: list[bytes] = []
                size = 0
                while chunk := response.read(16384):
                    size += len(chunk)
                    if size > MAX_JWKS_BYTES:
                        raise JwksFetchError("response too large")
                    chunks.append(chunk)
        except urllib.error.HTTPError as error:
            error.close()
            if 300 <= error.code < 400:
                raise JwksFetchError(f"HTTP {error.code} (redirects are not followed)") from None
            raise JwksFetchError(f"HTTP {error.code}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            timed_out = deadline.expired or isinstance(getattr(error, "reason", error), TimeoutError)
            raise JwksFetchError("timed out" if timed_out else type(error).__name__) from None
        if deadline.expired:  # the shut-down socket may read as a clean, early end of the body
            raise JwksFetchError("timed out")
    try:
        document = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):
        raise JwksFetchError("not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise JwksFetchError("no keys array")
    return keys


def parse_key(raw: Any) -> tuple[str, _Key] | None:
    """A usable public signing key from one JWKS entry, or None (entries we cannot use are skipped)."""
    if not isinstance(raw, dict):
        return None
    kid, kty, crv = raw.get("kid"), raw.get("kty"), raw.get("crv")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH or not isinstance(kty, str):
        return None
    if crv is not None and not isinstance(crv, str):
        return None
    if raw.get("use", "sig") != "sig":
        return None
    key_ops = raw.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    allowed = ALGORITHMS_BY_KEY.get((kty, crv if kty != "RSA" else None))
    if allowed is None or (kty == "RSA" and crv is not None):
        return None
    declared = raw.get("alg")
    if declared is not None:
        allowed = allowed & {declared} if isinstance(declared, str) else frozenset()
    if not allowed:
        return None
    public = {name: value for name, value in raw.items() if name not in _PRIVATE_MEMBERS}
    key = _Key(public, frozenset(allowed))
    try:
        key.for_algorithm(min(allowed))  # validates the key material once
    except (jwt.PyJWTError, ValueError, TypeError, KeyError, AttributeError):
        return None  # whatever a malformed member makes the key loader raise
    return kid, key


class JwksCache:
    """The keys of one JWKS URL, for one container. Safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str, _Key] = {}
        self._fetched_at: float | None = None  # monotonic, when the cached set was read
        self._fetch_started_wall: float | None = None  # wall clock, when the fetch of the cached set began
        self._last_attempt: float | None = None
        self.last_fetch_failed = False  # the latest attempt to fetch the JWKS failed
        self._bucket = float(UNKNOWN_KID_FETCH_BUDGET)
        self._bucket_at = _clock()
        self._lock = threading.Lock()

    def _stale(self) -> bool:
        return self._fetched_at is None or _clock() - self._fetched_at > MAX_CACHE_AGE_SECONDS

    def key(self, kid: str, issued_at: float) -> _Key:
        """The key of ``kid`` for a token issued at ``issued_at`` (its iat, wall clock).

        Raises ``TokenError("unknown_kid")`` when a fetch that must list the key did not, ``KeysUnavailable``
        (with the seconds until a fetch is allowed) when none can be made now.
        """
        arrived = _wall_clock()
        key = self._keys.get(kid)
        if key is not None and not self._stale():
            return key
        with self._lock:
            key = self._keys.get(kid)
            if key is not None and not self._stale():
                return key  # another thread fetched it meanwhile
            if key is None and not self._stale() and self._conclusive(arrived, issued_at):
                raise TokenError("unknown_kid")
            wait = self._seconds_until_fetch(unknown_kid=key is None)
            if wait is not None:
                if key is not None:
                    return key  # stale, and the endpoint failing: the keys we had still count
                raise KeysUnavailable(math.ceil(wait))
            self._fetch()
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self.last_fetch_failed:
                raise KeysUnavailable(math.ceil(RETRY_AFTER_FAILURE_SECONDS))
            raise TokenError("unknown_kid")  # this fetch began after the request arrived

    def _conclusive(self, arrived: float, issued_at: float) -> bool:
        """The cached set was fetched after the token was signed, so its key would be listed (Better Auth
        publishes a key before signing with it): the fetch began after this request arrived (another
        request's, while this one waited for the lock), or after the token's iat plus the leeway (the iat is
        the signer's clock, which may run behind ours)."""
        started = self._fetch_started_wall
        return started is not None and (started > arrived or started >= issued_at + LEEWAY_SECONDS)

    def _seconds_until_fetch(self, *, unknown_kid: bool) -> float | None:
        """None when a fetch may start now (after the short wait between unknown-kid fetches, slept here);
        else how long until one may. The lock is held."""
        now = _clock()
        since_last = now - self._last_attempt if self._last_attempt is not None else math.inf
        if self.last_fetch_failed and since_last < RETRY_AFTER_FAILURE_SECONDS:
            # The endpoint failed a moment ago: requests do not each wait for it again.
            return RETRY_AFTER_FAILURE_SECONDS - since_last
        if not unknown_kid or self._fetched_at is None:
            return None  # the first fetch, and the hourly refresh of a known key, are not budgeted
        self._bucket = min(
            float(UNKNOWN_KID_FETCH_BUDGET),
            self._bucket + (now - self._bucket_at) / UNKNOWN_KID_REFILL_SECONDS,
        )
        self._bucket_at = now
        if self._bucket < 1:
            return (1 - self._bucket) * UNKNOWN_KID_REFILL_SECONDS
        self._bucket -= 1
        if since_last < UNKNOWN_KID_MIN_INTERVAL_SECONDS:
            _sleep(UNKNOWN_KID_MIN_INTERVAL_SECONDS - since_last)
        return None

    def _fetch(self) -> None:
        """Fetch the set; a readable one replaces the cache. The lock is held."""
        self._last_attempt = _clock()
        started_wall = _wall_clock()
        try:
            raw_keys = fetch_jwks(self.url, FETCH_TIMEOUT_SECONDS)
        except JwksFetchError as error:
            self.last_fetch_failed = True
            logger.warning("JWKS fetch failed", extra={"jwks_url": self.url, "reason": str(error)})
            return
        self.last_fetch_failed = False
        # Every readable set replaces the cache, an empty one too: a key no longer published (withdrawn in an
        # emergency) is no longer trusted.
        self._keys = dict(parsed for parsed in map(parse_key, raw_keys) if parsed is not None)
        self._fetched_at = _clock()
        self._fetch_started_wall = started_wall
        if not self._keys:
            logger.warning("JWKS has no usable keys", extra={"jwks_url": self.url})
        else:
            logger.info("JWKS fetched", extra={"jwks_url": self.url, "kids": sorted(self._keys)})


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


def jwks_cache(better_auth_url: str) -> JwksCache:
    url = jwks_url(better_auth_url)
    with _caches_lock:
        cache = _caches.get(url)
        if cache is None:
            cache = _caches[url] = JwksCache(url)
        return cache


def clear_jwks_cache() -> None:
    """Forget every cached key set (tests; a settings change)."""
    with _caches_lock:
        _caches.clear()


def _issued_at(token: str) -> float:
    """The token's iat, read before its key is known (the signature is checked once it is). A token without
    a numeric iat, or one issued beyond the leeway in the future, would be refused anyway: at once, then, with
    no fetch made for it."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    issued_at = claims.get("iat")
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float) or not math.isfinite(issued_at):
        raise TokenError("missing_iat")
    if issued_at > _wall_clock() + LEEWAY_SECONDS:
        raise TokenError("not_yet_valid")
    return float(issued_at)


def decode_better_auth(token: str, header: dict[str, Any], better_auth_url: str) -> dict[str, Any]:
    """Verify a Better Auth token and return its claims; raise ``TokenError``, or ``KeysUnavailable``
    when its key cannot be known now (the JWKS cannot be fetched, or not yet again)."""
    algorithm = header.get("alg")
    if algorithm not in ASYMMETRIC_ALGORITHMS:
        raise TokenError("algorithm_not_allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
        raise TokenError("missing_kid")
    key = jwks_cache(better_auth_url).key(kid, _issued_at(token))
    if algorithm not in key.algorithms:
        raise TokenError("algorithm_not_allowed")
    try:
        claims = jwt.decode(
            token,
            key.for_algorithm(algorithm),
            algorithms=[algorithm],
            leeway=LEEWAY_SECONDS,
            issuer=better_auth_url,
            audience=better_auth_url,
            options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
        )
    except jwt.PyJWTError as error:
        raise _better_auth_error(error) from None
    except (ValueError, TypeError, RecursionError):
        raise TokenError("malformed") from None
    return dict(claims)


def _better_auth_error(error: jwt.PyJWTError) -> TokenError:
    refused = token_error(error, signature_detail=BAD_SIGNATURE)
    if refused.reason == "bad_issuer":
        return TokenError("bad_issuer", "Token issuer (iss) must be the API's BETTER_AUTH_URL")
    if refused.reason == "bad_audience":
        return TokenError("bad_audience", "Token audience (aud) must be the API's BETTER_AUTH_URL")
    return refused
