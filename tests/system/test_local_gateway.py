"""The Docker-free `sam local start-api` stand-in: real handlers behind template.yaml's routes and CORS; a server
that browsers can use (concurrent connections, idle timeouts, an HTTPS mode with the production cookie)."""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from devtools import template
from devtools.net import running_server
from devtools.paths import FUNCTIONS_DIR
from devtools.swagger_ui import read_manifest
from tests.support.addresses import fresh_address, from_address
from tests.support.chunked import OVER_THE_LIMIT, post_chunked
from tests.support.raw_http import Outcome, exchange
from tests.support.walkthrough import FRONTEND, walk_through


def _env(state: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update({"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env"), **settings})
    return env


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Idle connections stay open longer than any test here waits for another client's answer.
    state = tmp_path_factory.mktemp("gateway")
    with running_server("devtools.local_gateway", _env(state, GATEWAY_IDLE_TIMEOUT="60")) as base:
        yield base


@pytest.fixture(scope="module")
def trusting_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("trusting-gateway")
    with running_server("devtools.local_gateway", _env(state), args=["--trust-test-source-address"]) as base:
        yield base


@pytest.fixture(scope="module")
def impatient_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    state = tmp_path_factory.mktemp("impatient-gateway")
    with running_server("devtools.local_gateway", _env(state, GATEWAY_IDLE_TIMEOUT="1")) as base:
        yield base


@pytest.fixture(scope="module")
def https_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ssl.SSLContext]]:
    state = tmp_path_factory.mktemp("https-gateway")
    ca_file = state / "gateway-tls" / "ca.pem"
    with running_server("devtools.local_gateway", _env(state), args=["--https"], ca_file=ca_file) as base:
        yield base, ssl.create_default_context(cafile=ca_file)


def _idle_connection(base: str) -> http.client.HTTPConnection:
    """A keep-alive connection that has had one answer and is now left open, as browsers leave theirs."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    connection.request("GET", "/health")
    answer = connection.getresponse()
    assert answer.status == 200
    assert answer.getheader("connection") != "close"
    answer.read()
    return connection


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closes ``sock`` (recv returns b""); fails if it sends or waits longer."""
    sock.settimeout(seconds)
    started = time.monotonic()
    assert sock.recv(1) == b""
    return time.monotonic() - started


def _signup_cookie(client: httpx.Client) -> str:
    email = f"cookie-{time.monotonic_ns()}@example.com"
    answer = client.post("/api/auth/signup", json={"email": email, "password": "gateway-password-9"})
    assert answer.status_code == 201
    return answer.headers["set-cookie"]


def test_preflight_from_an_allowed_origin_gets_the_template_cors_answer(gateway: str) -> None:
    response = httpx.options(
        f"{gateway}/api/tasks",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "GET,POST,PUT,DELETE,PATCH"
    assert (
        response.headers["access-control-allow-headers"]
        == "content-type,authorization,if-match,idempotency-key"
    )
    assert response.headers["access-control-max-age"] == str(
        template.cors(template.project_template()).max_age
    )


def test_preflight_from_another_origin_gets_no_cors_headers(gateway: str) -> None:
    response = httpx.options(
        f"{gateway}/api/tasks",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_black_box_walk_through_through_the_handlers(gateway: str) -> None:
    walk_through(gateway)
    # Unrouted paths get API Gateway's own answer, not the app's.
    assert httpx.get(f"{gateway}/not-a-route").json() == {"message": "Not Found"}


def test_docs_are_served_by_the_docs_function_as_on_aws(gateway: str) -> None:
    docs = httpx.get(f"{gateway}/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    document = httpx.get(f"{gateway}/openapi.json")
    assert document.status_code == 200
    assert {"/api/auth/login", "/api/tasks", "/health"} <= set(document.json()["paths"])


def test_a_gzip_answer_reaches_the_client_compressed_as_the_function_sent_it(gateway: str) -> None:
    manifest = read_manifest()
    path = f"/docs/swagger-ui/{manifest['version']}/swagger-ui.css"
    with httpx.stream("GET", f"{gateway}{path}", headers={"accept-encoding": "gzip"}) as answer:
        raw = b"".join(answer.iter_raw())
    assert (answer.status_code, answer.headers["content-encoding"]) == (200, "gzip")
    assert raw == (FUNCTIONS_DIR / "docs" / "swagger-ui" / "swagger-ui.css.gz").read_bytes()
    assert int(answer.headers["content-length"]) == len(raw)


def test_an_idle_keep_alive_connection_blocks_no_other_client(gateway: str) -> None:
    idle = _idle_connection(gateway)
    sock = idle.sock
    # A server serving one connection at a time would keep these waiting until the idle one closed.
    for _ in range(3):
        with httpx.Client(base_url=gateway, timeout=10) as other:
            assert other.get("/health").status_code == 200
    walk_through(gateway)  # a whole walk-through too, many requests on new connections
    # And the idle connection was open all along: it still answers, on the same socket.
    idle.request("GET", "/health")
    assert idle.getresponse().status == 200
    assert idle.sock is sock
    idle.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(impatient_gateway: str) -> None:
    after_a_request = _idle_connection(impatient_gateway)
    assert after_a_request.sock is not None
    assert 0.5 < _closed_within(after_a_request.sock, 10) < 5
    url = urlsplit(impatient_gateway)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as silent:
        assert 0.5 < _closed_within(silent, 10) < 5  # a connection that never sent a request (a preconnect)
    assert httpx.get(f"{impatient_gateway}/health").status_code == 200


def test_over_plain_http_the_cookie_is_the_local_one_whatever_the_client_claims(gateway: str) -> None:
    with httpx.Client(
        base_url=gateway, headers={"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    ) as client:
        cookie = _signup_cookie(client)
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Partitioned" not in cookie


def test_https_mode_sets_the_production_cookie(https_gateway: tuple[str, ssl.SSLContext]) -> None:
    base, trust = https_gateway
    assert base.startswith("https://localhost:")
    with httpx.Client(base_url=base, verify=trust, headers={"Origin": FRONTEND}) as client:
        answer = client.get("/health")
        assert answer.headers["strict-transport-security"].startswith("max-age=")  # the app saw https
        cookie = _signup_cookie(client)
        attributes = {part.strip() for part in cookie.split(";")[1:]}
        assert {"HttpOnly", "Secure", "SameSite=None", "Partitioned", "Path=/"} <= attributes
        # The cookie alone (httpx sends it back over https only) authenticates.
        assert client.get("/api/auth/verify").status_code == 200
        assert client.post("/api/auth/logout").status_code == 200
        assert client.get("/api/auth/verify").status_code == 401


def test_https_mode_answers_only_over_tls(https_gateway: tuple[str, ssl.SSLContext]) -> None:
    base, _ = https_gateway
    with pytest.raises(httpx.TransportError):
        httpx.get(base.replace("https://", "http://") + "/health", timeout=5)
    with pytest.raises(
        httpx.ConnectError
    ):  # the certificate is the throwaway CA's, trusted by no default store
        httpx.get(f"{base}/health", timeout=5)


def test_a_chunked_body_reaches_the_function_whole_and_over_the_limit_is_413(gateway: str) -> None:
    """API Gateway hands the function the whole body of a chunked upload; the function measures it."""
    with httpx.Client(base_url=gateway) as client:
        token = client.post(
            "/api/auth/signup", json={"email": "chunked@example.com", "password": "a long passphrase 12"}
        ).json()["token"]
    status, body = post_chunked(gateway, "/api/tasks", OVER_THE_LIMIT, {"authorization": f"Bearer {token}"})
    assert status == 413
    assert body == {"detail": "The body exceeds 65536 bytes.", "code": "payload_too_large"}
    status, body = post_chunked(gateway, "/api/tasks", 10, {"authorization": f"Bearer {token}"})
    assert status == 400  # ten bytes of "x" reached the function, which could not parse them
    assert body["code"] == "validation_error"


def _failed_logins_from(base: str, addresses: list[str]) -> list[int]:
    """Statuses of a wrong-password login for one new account from each address the request names."""
    email = f"throttled-{time.monotonic_ns()}@example.com"
    with httpx.Client(base_url=base) as client:
        signup = client.post("/api/auth/signup", json={"email": email, "password": "gateway-password-9"})
        assert signup.status_code == 201
        return [
            client.post(
                "/api/auth/login",
                json={"email": email, "password": "not-the-password"},
                headers=from_address(address),
            ).status_code
            for address in addresses
        ]


def test_a_client_cannot_pick_its_source_address_and_so_its_throttle_key(gateway: str) -> None:
    # Six guesses from one connection's address: the sixth is over the five a pair (email, address) may make,
    # whatever address each request names.
    assert _failed_logins_from(gateway, [fresh_address() for _ in range(6)]) == [401] * 5 + [429]


def test_started_for_tests_the_gateway_takes_the_source_address_a_request_names(
    trusting_gateway: str,
) -> None:
    assert _failed_logins_from(trusting_gateway, [fresh_address() for _ in range(6)]) == [401] * 6


def _post_with(base: str, framing: str, body: bytes = b"") -> Outcome:
    """A POST whose framing headers are ``framing`` (CRLF-separated lines), with ``body`` and then silence."""
    url = urlsplit(base)
    head = f"POST /api/auth/login HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    # The connection stays open: an answer that waited for the rest of the body would never come.
    return exchange(base, head.encode("latin-1") + body, half_close=False)


@pytest.mark.parametrize(
    ("framing", "status"),
    [
        ("Content-Length: abc", 400),
        ("Content-Length: -1", 400),
        ("Content-Length: +5", 400),
        ("Content-Length: 0x10", 400),
        ("Content-Length: \u00b2", 400),  # a digit to str.isdigit(), not to HTTP
        ("Content-Length: 5, 6", 400),
        ("Content-Length: 2\r\nContent-Length: 20", 400),
        ("Content-Length: 5\r\nTransfer-Encoding: chunked", 400),
        ("Transfer-Encoding: gzip", 400),
        ("Content-Length: 10485761", 413),
        ("Content-Length: 99999999999", 413),
        ("Content-Length: " + "9" * 5000, 413),
        ("Expect: 100-continue\r\nContent-Length: 99999999999", 413),  # refused, not "100 Continue"
    ],
)
def test_framing_headers_are_checked_before_the_body_is_read(gateway: str, framing: str, status: int) -> None:
    outcome = _post_with(gateway, framing)
    phrase = {400: "Bad Request", 413: "Request Entity Too Large"}[status]
    assert (outcome.status, outcome.body) == (status, b'{"message": "%s"}' % phrase.encode())
    assert httpx.get(f"{gateway}/health").status_code == 200


def test_repeated_equal_content_lengths_are_one(gateway: str) -> None:
    outcome = _post_with(gateway, "Content-Length: 2\r\nContent-Length: 2", b"{}")
    assert outcome.status == 400  # the function's answer: it read the two bytes
    assert b'"code":"validation_error"' in outcome.body


def test_a_negative_chunk_size_is_a_bad_request(gateway: str) -> None:
    outcome = _post_with(gateway, "Transfer-Encoding: chunked", b"-1\r\n{}\r\n0\r\n\r\n")
    assert (outcome.status, outcome.body) == (400, b'{"message": "Bad Request"}')


@pytest.mark.parametrize(
    ("framing", "body"),
    [
        ("Content-Length: 50", b'{"email": "a@example.com"'),
        ("Transfer-Encoding: chunked", b'40\r\n{"email": "a@example.com"'),
    ],
)
def test_a_body_cut_short_by_the_client_reaches_no_function(gateway: str, framing: str, body: bytes) -> None:
    url = urlsplit(gateway)
    head = f"POST /api/auth/login HTTP/1.1\r\nHost: {url.netloc}\r\n{framing}\r\n\r\n"
    assert exchange(gateway, head.encode() + body) == Outcome(None)  # then the client closes: no answer
    assert httpx.get(f"{gateway}/health").status_code == 200
