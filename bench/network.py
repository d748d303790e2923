"""The benchmark's networks: loopback (direct to PgBouncer) or a round trip added by the delay relay.

``Network.parse("1ms")`` names one; ``running_relay`` starts bench/netdelay.py as its own process in front
of PgBouncer; ``calibrate`` measures what the relays add to a ``SELECT 1`` and to opening a connection.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

from bench import stats

LOOPBACK = "loopback"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Network:
    """``rtt_ms`` None: straight to PgBouncer on loopback; otherwise through the relay, that round trip added."""

    name: str
    rtt_ms: float | None

    @classmethod
    def parse(cls, text: str) -> Network:
        """``loopback``, or a round trip in milliseconds such as ``1ms``, ``10ms``, ``0.5ms`` or ``0ms``."""
        text = text.strip().lower()
        if text == LOOPBACK:
            return cls(LOOPBACK, None)
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*ms", text)
        if match is None:
            raise ValueError(f"not a network: {text!r} (loopback, or a round trip such as 1ms or 10ms)")
        rtt = float(match.group(1))
        return cls(f"{rtt:g}ms", rtt)

    @property
    def label(self) -> str:
        if self.rtt_ms is None:
            return "loopback (no relay)"
        return f"{self.rtt_ms:g} ms round trip"


def parse_networks(text: str) -> list[Network]:
    """A comma-separated list, each network once, in the order given."""
    found: list[Network] = []
    for part in text.split(","):
        network = Network.parse(part)
        if network not in found:
            found.append(network)
    if not found:
        raise ValueError("no network given")
    return found


@contextmanager
def running_relay(target_port: int, rtt_ms: float, *, target_host: str = "127.0.0.1") -> Iterator[int]:
    """bench/netdelay.py in its own process, relaying to ``target_host:target_port``; yields its port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.netdelay",
            "--target",
            f"{target_host}:{target_port}",
            "--rtt-ms",
            str(rtt_ms),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening "):
            raise RuntimeError(f"the delay relay did not start (exit {process.wait(10)})")
        yield int(line.split()[1])
    finally:
        if process.stdin is not None:
            process.stdin.close()  # its signal to stop
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@dataclass(frozen=True)
class Calibration:
    """Milliseconds, per route to PgBouncer: a ``SELECT 1`` round trip on an open connection, and a connect."""

    select: list[float]
    connect: list[float]


def calibrate(
    *,
    user: str,
    database: str,
    ports: Mapping[str, int],
    samples: int = 200,
    connects: int = 20,
    host: str = "127.0.0.1",
) -> dict[str, Calibration]:
    """Each named port (PgBouncer's own, the relays') timed with pg8000, interleaved, one connection each.

    A ``SELECT 1`` through PgBouncer in transaction mode is one round trip; a connect is the TCP handshake
    plus the startup exchange (trust authentication: one round trip)."""
    selects: dict[str, list[float]] = {name: [] for name in ports}
    opened: dict[str, list[float]] = {name: [] for name in ports}
    connections = {
        name: pg8000.native.Connection(
            user, host=host, port=port, database=database, timeout=30, ssl_context=False
        )
        for name, port in ports.items()
    }
    try:
        for connection in connections.values():  # warm-up: PgBouncer's server link, pg8000's caches
            for _ in range(5):
                connection.run("SELECT 1")
        for _ in range(samples):
            for name, connection in connections.items():
                begun = time.perf_counter()
                connection.run("SELECT 1")
                selects[name].append((time.perf_counter() - begun) * 1000)
        for _ in range(connects):
            for name, port in ports.items():
                begun = time.perf_counter()
                fresh = pg8000.native.Connection(
                    user, host=host, port=port, database=database, timeout=30, ssl_context=False
                )
                opened[name].append((time.perf_counter() - begun) * 1000)
                fresh.close()
    finally:
        for connection in connections.values():
            connection.close()
    return {name: Calibration(selects[name], opened[name]) for name in ports}


def calibration_lines(found: Mapping[str, Calibration], *, direct: str) -> list[str]:
    """One Markdown table: each route's median, IQR and p99, and its median minus the direct one."""
    base_select = stats.median(found[direct].select)
    base_connect = stats.median(found[direct].connect)
    rows = []
    for name, figures in found.items():
        first, third = stats.quartiles(figures.select)
        rows.append(
            f"| {name} | {stats.median(figures.select):.3f} | {first:.3f}–{third:.3f} | "
            f"{stats.p99(figures.select):.3f} | {stats.median(figures.select) - base_select:+.3f} | "
            f"{stats.median(figures.connect):.2f} | {stats.median(figures.connect) - base_connect:+.2f} |"
        )
    return [
        "| route to PgBouncer | `SELECT 1` median | IQR | p99 | added (median) | connect median | added |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
    ]
