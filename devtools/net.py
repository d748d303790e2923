"""Loopback helpers for the local servers, their tests and the benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from devtools.paths import ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until ``url`` answers, failing early if ``process`` (the server) exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before answering") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.1)


@contextmanager
def running_server(module: str, env: Mapping[str, str]) -> Iterator[str]:
    """``python -m module`` (devtools.serve, devtools.local_gateway) from the project root with ``env`` on a free
    loopback port (PORT); yields its base URL once ``/health`` answers, and stops it when the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/health", server)
        yield base
    finally:
        server.terminate()
        server.wait(10)
