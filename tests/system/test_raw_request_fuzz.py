"""Malformed raw requests over real sockets, to both local servers (the Docker-free gateway and `make run`'s):
broken request lines, headers, lengths, chunked encodings, truncations and binary junk, from a seeded generator
(``TODO_FUZZ_SEED``, ``TODO_FUZZ_REQUESTS``). Each gets an HTTP answer that is not a 500, or a clean close;
the server's output holds no traceback; and the server still serves afterwards."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devtools.net import running_server
from tests.support.raw_http import Outcome, exchange

pytestmark = pytest.mark.reliability

SEED = int(os.environ.get("TODO_FUZZ_SEED", "20261221"))
REQUESTS = int(os.environ.get("TODO_FUZZ_REQUESTS", "600"))
SERVERS = ("devtools.local_gateway", "devtools.serve")

METHODS = [b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS", b"HEAD", b"get", b"BREW", b"G\x00T", b""]
TARGETS = [
    b"/health",
    b"/api/tasks",
    b"/api/tasks/1",
    b"/api/auth/login",
    b"/api/auth/signup",
    b"/api/u1/tasks?status=pending&tag=a&tag=b",
    b"*",
    b"http://localhost/health",
    b"//evil.example.com/",
    b"/%zz%00",
    b"/health?\xff\xfe",
    b"/docs/../../etc/passwd",
    b"/" + b"a" * 9000,
    b"/api/tasks#frag",
]
VERSIONS = [
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/2.0",
    b"HTTP/1",
    b"HTTP/x.y",
    b"HTTP/1.1.1",
    b"http/1.1",
    b"",
    b"HTTP/9",
]
HEADERS = [
    b"Content-Type: application/json",
    b"Authorization: Bearer not.a.token",
    b"Authorization: Bearer",
    b"Cookie: todo_auth=\x00\xff; todo_refresh=",
    b"Origin: http://localhost:3000",
    b"Access-Control-Request-Method: POST",
    b"X-Test-Source-Address: 198.18.0.1",
    b"Host: ",
    b"Host: local/host@x",
    b"Host: [::1]:99999",
    b"No-Colon-Here",
    b" folded continuation",
    b": empty name",
    b"X-\xff\xfe: \xc3\x28",
    b"X-Nul: a\x00b",
    b"Expect: 100-continue",
    b"Connection: keep-alive",
    b"If-Match: *",
    b"X-Long: " + b"v" * 70000,
]
LENGTHS = [
    b"0",
    b"2",
    b"17",
    b"-1",
    b"abc",
    b"+3",
    b" 4 ",
    b"1e3",
    b"0x10",
    b"99999999999",
    b"3, 4",
    b"\xb2",
    b"9" * 40,
]
TRANSFER_ENCODINGS = [b"chunked", b"CHUNKED", b"gzip", b"chunked, gzip", b"gzip, chunked", b"identity", b""]
BODIES = [b"", b"{}", b'{"email":"a@example.com","password":"x"}', b'{"title":', b"\x00\xff" * 8, b"[]" * 40]
CHUNKED_BODIES = [
    b"2\r\n{}\r\n0\r\n\r\n",
    b"-1\r\n{}\r\n0\r\n\r\n",
    b"zz\r\n{}\r\n0\r\n\r\n",
    b"2;ext=1\r\n{}\r\n0\r\nTrailer: x\r\n\r\n",
    b"ffffffffffffffff\r\n{}",
    b"4\r\n{}\r\n0\r\n\r\n",  # a chunk shorter than its size
    b"2\r\n{}XX0\r\n\r\n",  # no CRLF after the data
    b"2\r\n{}\r\n",  # no last chunk
    b"0\r\n" + b"T: x\r\n" * 100,  # trailers that never end
    b"1" * 2000 + b"\r\n",
]


def _pick(rng: random.Random, choices: list[bytes]) -> bytes:
    """The first choice (a well-formed one) half of the time, else any: most requests get past the request line."""
    return choices[0] if rng.random() < 0.5 else rng.choice(choices)


def _request(rng: random.Random) -> bytes:
    """One request, most of it well formed and some part of it not."""
    line = b" ".join(
        part
        for part in (
            _pick(rng, METHODS[:5] if rng.random() < 0.5 else METHODS),
            _pick(rng, TARGETS),
            _pick(rng, VERSIONS),
        )
        if part or rng.random() < 0.5
    )
    headers = [b"Host: localhost"] if rng.random() < 0.8 else []
    headers += rng.sample(HEADERS, rng.randint(0, 4))
    if rng.random() < 0.1:
        headers += [b"X-Many: %d" % index for index in range(rng.choice([60, 120]))]
    body = rng.choice(BODIES)
    framing = rng.random()
    if framing < 0.35:
        headers += [b"Content-Length: " + rng.choice(LENGTHS) for _ in range(rng.choice([1, 1, 2]))]
    elif framing < 0.6:
        headers.append(b"Transfer-Encoding: " + rng.choice(TRANSFER_ENCODINGS))
        body = rng.choice(CHUNKED_BODIES)
        if rng.random() < 0.2:
            headers.append(b"Content-Length: " + rng.choice(LENGTHS))
    elif framing < 0.75:
        headers.append(b"Content-Length: %d" % len(body))
    newline = rng.choice([b"\r\n", b"\r\n", b"\n", b"\r"])
    raw = newline.join([line, *headers, b"", body])
    if rng.random() < 0.25:  # cut anywhere
        raw = raw[: rng.randrange(len(raw) + 1)]
    if rng.random() < 0.15:  # a few bytes flipped
        junk = bytearray(raw)
        for _ in range(rng.randint(1, 4)):
            if junk:
                junk[rng.randrange(len(junk))] = rng.randrange(256)
        raw = bytes(junk)
    return raw


def _junk(rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(1, 600)))


def fuzz_inputs(seed: int, count: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(count):
        yield (_junk if rng.random() < 0.1 else _request)(rng)


def _env(state: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "ENVIRONMENT")}
    env.update(
        {"LOCAL_STATE_DIR": str(state), "ENV_FILE": str(state / "none.env"), "GATEWAY_IDLE_TIMEOUT": "5"}
    )
    return env


@pytest.mark.parametrize("module", SERVERS)
def test_malformed_raw_requests_get_an_answer_or_a_clean_close(
    module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "server.log"
    problems: list[str] = []
    answered: dict[int | None, int] = {}
    with running_server(module, _env(tmp_path), log=log) as base:
        for index, raw in enumerate(fuzz_inputs(SEED, REQUESTS)):
            outcome: Outcome = exchange(base, raw)
            answered[outcome.status] = answered.get(outcome.status, 0) + 1
            if outcome.reset or outcome.broken or outcome.status == 500:
                problems.append(f"#{index} {outcome} for {raw[:300]!r}")
        assert httpx.get(f"{base}/health").status_code == 200, "the server stopped serving"
    output = log.read_text(errors="replace")
    with capsys.disabled():
        summary = ", ".join(
            f"{status or 'closed'}: {count}" for status, count in sorted(answered.items(), key=str)
        )
        print(f"\n  {module}, seed {SEED}, {REQUESTS} requests: {summary}")
    traceback = output.find("Traceback")
    assert traceback == -1, output[max(0, traceback - 500) : traceback + 3000]
    assert problems == []
