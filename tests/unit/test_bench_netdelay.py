"""The benchmark's delay relay (bench/netdelay.py, started as the benchmark starts it): bytes, delays, closes."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import network
from devtools import postgres

# Wall-clock bounds are loose (10x what is expected, plus slack): the machine is shared.
SLACK = 0.5


def _serve(handle: Callable[[socket.socket], None]) -> tuple[int, socket.socket]:
    """A threaded TCP server on 127.0.0.1 calling ``handle`` per connection; returns its port and socket."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1], listener


def _echo(connection: socket.socket) -> None:
    with connection:
        while data := connection.recv(65536):
            connection.sendall(data)


def _receive(connection: socket.socket, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        data = connection.recv(min(65536, size - got))
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _client(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    port, listener = _serve(_echo)
    yield port
    listener.close()


def test_relay_passes_bytes_intact_and_in_order_under_concurrent_connections(echo_port: int) -> None:
    payloads = [os.urandom(300_000 + 7919 * index) for index in range(12)]

    def exchange(relay_port: int, payload: bytes) -> bytes:
        with _client(relay_port) as connection:
            # Written in uneven pieces from another thread while this one reads: both directions busy at once.
            def send() -> None:
                for start in range(0, len(payload), 4099):
                    connection.sendall(payload[start : start + 4099])

            sender = threading.Thread(target=send)
            sender.start()
            echoed = _receive(connection, len(payload))
            sender.join()
            return echoed

    with network.running_relay(echo_port, 2) as relay_port, ThreadPoolExecutor(len(payloads)) as pool:
        echoed = list(pool.map(lambda payload: exchange(relay_port, payload), payloads))
    assert [len(data) for data in echoed] == [len(data) for data in payloads]
    assert echoed == payloads


def test_relay_passes_a_large_answer_from_the_server() -> None:
    answer = os.urandom(3_000_000)

    def speak_first(connection: socket.socket) -> None:
        with connection:
            connection.sendall(answer)

    port, listener = _serve(speak_first)
    try:
        with network.running_relay(port, 0) as relay_port, _client(relay_port) as connection:
            assert _receive(connection, len(answer) + 1) == answer
    finally:
        listener.close()


def _round_trip(connection: socket.socket) -> float:
    begun = time.perf_counter()
    connection.sendall(b"ping")
    assert _receive(connection, 4) == b"ping"
    return time.perf_counter() - begun


@pytest.mark.parametrize("rtt_ms", [5, 20])
def test_delayed_relay_adds_at_least_the_round_trip(echo_port: int, rtt_ms: int) -> None:
    rtt = rtt_ms / 1000
    with network.running_relay(echo_port, rtt_ms) as relay_port, _client(relay_port) as connection:
        # The first exchange also pays the TCP handshake's round trip.
        first = _round_trip(connection)
        later = [_round_trip(connection) for _ in range(5)]
    assert 2 * rtt <= first < 10 * 2 * rtt + SLACK
    for taken in later:
        assert rtt <= taken < 10 * rtt + SLACK


def test_delay_is_latency_not_bandwidth(echo_port: int) -> None:
    """100 messages sent back to back come back about one round trip later, not 100 round trips later."""
    rtt = 0.02
    with network.running_relay(echo_port, rtt * 1000) as relay_port, _client(relay_port) as connection:
        _round_trip(connection)  # past the handshake
        begun = time.perf_counter()
        for index in range(100):
            connection.sendall(b"%03d" % index)
            time.sleep(0.0005)
        echoed = _receive(connection, 300)
        taken = time.perf_counter() - begun
    assert echoed == b"".join(b"%03d" % index for index in range(100))
    assert rtt <= taken < 10 * (rtt + 0.05) + SLACK  # one round trip plus the 50 ms of sending


def test_half_close_reaches_the_server_and_its_answer_still_comes_back() -> None:
    seen: list[bytes] = []

    def answer_after_end(connection: socket.socket) -> None:
        with connection:
            received = _receive(connection, 1 << 20)  # up to the end of the client's stream
            seen.append(received)
            connection.sendall(b"got " + received)

    port, listener = _serve(answer_after_end)
    try:
        with network.running_relay(port, 2) as relay_port, _client(relay_port) as connection:
            connection.sendall(b"request")
            connection.shutdown(socket.SHUT_WR)
            assert _receive(connection, 1 << 20) == b"got request"  # and then the server's end of stream
    finally:
        listener.close()
    assert seen == [b"request"]


def _reset_close(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_client_reset_reaches_the_server() -> None:
    outcome: list[BaseException | bytes] = []
    done = threading.Event()

    def wait_for_reset(connection: socket.socket) -> None:
        with connection:
            try:
                connection.sendall(b"ready")
                while data := connection.recv(65536):
                    outcome.append(data)
                outcome.append(b"")  # an orderly end: wrong
            except OSError as error:
                outcome.append(error)
            done.set()

    port, listener = _serve(wait_for_reset)
    try:
        with network.running_relay(port, 2) as relay_port:
            connection = _client(relay_port)
            assert _receive(connection, 5) == b"ready"
            _reset_close(connection)
            assert done.wait(10)
    finally:
        listener.close()
    assert len(outcome) == 1
    assert isinstance(outcome[0], ConnectionResetError)


def test_server_reset_reaches_the_client() -> None:
    def reset_after_greeting(connection: socket.socket) -> None:
        connection.sendall(b"bye")
        time.sleep(0.05)  # the greeting leaves first
        _reset_close(connection)

    port, listener = _serve(reset_after_greeting)
    try:
        with network.running_relay(port, 2) as relay_port, _client(relay_port) as connection:
            assert _receive(connection, 3) == b"bye"
            with pytest.raises(ConnectionResetError):
                _receive(connection, 1 << 20)
    finally:
        listener.close()


def test_network_names_parse() -> None:
    assert network.parse_networks("loopback, 1ms,10ms,1ms") == [
        network.Network("loopback", None),
        network.Network("1ms", 1.0),
        network.Network("10ms", 10.0),
    ]
    with pytest.raises(ValueError, match="not a network"):
        network.Network.parse("fast")


def test_calibration_returns_figures_for_each_route(
    pgbouncer: postgres.PgBouncer, postgres_database: str
) -> None:
    with network.running_relay(pgbouncer.port, 0) as zero, network.running_relay(pgbouncer.port, 5) as five:
        found = network.calibrate(
            user=postgres.POSTGRES_USER,
            database=postgres_database,
            ports={"direct": pgbouncer.port, "0 ms": zero, "5 ms": five},
            samples=10,
            connects=3,
        )
    assert set(found) == {"direct", "0 ms", "5 ms"}
    for figures in found.values():
        assert len(figures.select) == 10
        assert len(figures.connect) == 3
        assert all(value > 0 for value in figures.select + figures.connect)
    assert min(found["5 ms"].select) >= 5
    lines = network.calibration_lines(found, direct="direct")
    assert len(lines) == 5
