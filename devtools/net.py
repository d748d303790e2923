"""Loopback helpers for the local servers, their tests and the benchmarks."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from devtools.paths import ROOT

# Hosts a server listens on that a browser reaches as ``localhost`` too.
_LOCALHOST_REACHABLE = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::", "::1"})  # noqa: S104


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def browser_base(scheme: str, host: str, port: int) -> str | None:
    """The base URL a browser page on ``http://localhost:3000`` should use for cookie logins: the same site,
    ``localhost`` (a cookie set by ``127.0.0.1`` is cross-site for that page), or None if it is not served
    there."""
    return f"{scheme}://localhost:{port}" if host in _LOCALHOST_REACHABLE else None


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], timeout: float = 30.0, ca_file: Path | None = None
) -> None:
    """Wait until ``url`` answers, failing early if ``process`` (the server) exits. ``ca_file``: an https URL
    whose certificate that CA signs (waited for too: the server may write it at start)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
            httpx.get(url, timeout=1, verify=verify)
            return
        except (httpx.TransportError, FileNotFoundError):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before answering") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


@contextmanager
def running_server(
    module: str,
    env: Mapping[str, str],
    *,
    args: Sequence[str] = (),
    ca_file: Path | None = None,
    log: Path | None = None,
) -> Iterator[str]:
    """``python -m module`` (devtools.serve, devtools.local_gateway) from the project root with ``env`` on a free
    loopback port (PORT); yields its base URL once ``/health`` answers, and stops it when the block ends.

    ``ca_file``: the server speaks https with a certificate that CA signs; the URL is then
    ``https://localhost:PORT``. ``log``: the server's stderr goes to that file (else nowhere)."""
    port = free_port()
    log_file = log.open("wb") if log is not None else None
    server = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=log_file or subprocess.DEVNULL,
    )
    base = f"https://localhost:{port}" if ca_file else f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/health", server, ca_file=ca_file)
        yield base
    finally:
        server.terminate()
        server.wait(10)
        if log_file is not None:
            log_file.close()
