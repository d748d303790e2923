"""The real PostgreSQL on 127.0.0.1:5432 and a real PgBouncer (transaction mode) in front of it.

Each test run or benchmark gets a fresh database with a unique name, dropped at the end. PgBouncer is
started on a free port with its own configuration (client TLS allowed, with a throwaway CA), so they need
only the ``pgbouncer`` binary (Debian package ``pgbouncer``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

from devtools.net import free_port
from devtools.tls import ThrowawayPki, make_pki

POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")
PGBOUNCER_CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")


def connect(database: str, *, timeout: float | None = None) -> pg8000.native.Connection:
    """A direct connection to ``database`` on the local server, as its superuser."""
    return pg8000.native.Connection(
        POSTGRES_USER, host=POSTGRES_HOST, port=POSTGRES_PORT, database=database, timeout=timeout
    )


def postgres_unavailable_reason() -> str | None:
    """None when the server answers; otherwise why not, for a skip or failure message."""
    try:
        connection = connect("postgres", timeout=3)
    except Exception as error:  # any failure to connect means "not available here"
        return f"PostgreSQL not reachable at {POSTGRES_HOST}:{POSTGRES_PORT} as {POSTGRES_USER} ({error})"
    connection.close()
    return None


def pgbouncer_binary() -> str | None:
    for candidate in PGBOUNCER_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _admin() -> pg8000.native.Connection:
    return connect("postgres", timeout=10)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database; yields its name and drops it afterwards."""
    name = f"todo_test_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    admin.run(f'CREATE DATABASE "{name}"')
    admin.close()
    try:
        yield name
    finally:
        admin = _admin()
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def direct_url(database: str) -> str:
    return f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


@dataclass
class PgBouncer:
    port: int
    pki: ThrowawayPki
    process: subprocess.Popen[bytes]
    config_path: Path

    def url(self, database: str, *, host: str = "127.0.0.1", query: str = "") -> str:
        suffix = f"?{query}" if query else ""
        return f"postgresql://{POSTGRES_USER}@{host}:{self.port}/{database}{suffix}"

    def restart(self) -> None:
        """Stop and start the same PgBouncer on the same port (server and client links are dropped)."""
        self.process.terminate()
        self.process.wait(10)
        self.process = _spawn(self.config_path)
        _wait_for_port(self.port, self.process)


def _spawn(config_path: Path) -> subprocess.Popen[bytes]:
    binary = pgbouncer_binary()
    assert binary is not None
    command = [binary]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        command += ["-u", "postgres"]
    return subprocess.Popen(
        [*command, str(config_path)],
        stdout=subprocess.DEVNULL,
        stderr=(config_path.parent / "log").open("ab"),
    )


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening within 10 s")


@contextmanager
def running_pgbouncer(
    directory: Path,
    *,
    server_host: str = POSTGRES_HOST,
    server_port: int = POSTGRES_PORT,
    users: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[PgBouncer]:
    """A PgBouncer in transaction mode in front of the test PostgreSQL, accepting TLS and plain clients.

    ``server_host``/``server_port`` point it at another server (the fault tests' private cluster), ``users`` gives the
    passwords it logs in to that server with, and ``settings`` adds or overrides ``[pgbouncer]`` lines.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)  # readable by the postgres user PgBouncer switches to
    pki = make_pki(directory)
    users_file = directory / "users.txt"
    accounts = users if users is not None else {POSTGRES_USER: ""}
    users_file.write_text("".join(f'"{name}" "{password}"\n' for name, password in accounts.items()))
    port = free_port()
    options = {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "unix_socket_dir": "",
        "auth_type": "trust",
        "auth_file": str(users_file),
        "pool_mode": "transaction",
        "default_pool_size": "20",
        "max_client_conn": "200",
        "client_tls_sslmode": "allow",
        "client_tls_cert_file": str(pki.server_cert),
        "client_tls_key_file": str(pki.server_key),
        "ignore_startup_parameters": "extra_float_digits",
        **(settings or {}),
    }
    config = directory / "pgbouncer.ini"
    config.write_text(
        "\n".join(
            [
                "[databases]",
                f"* = host={server_host} port={server_port}",
                "[pgbouncer]",
                *(f"{name} = {value}" for name, value in options.items()),
                "",
            ]
        )
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    process = _spawn(config)
    bouncer = PgBouncer(port=port, pki=pki, process=process, config_path=config)
    try:
        _wait_for_port(port, process)
        yield bouncer
    finally:
        bouncer.process.terminate()
        try:
            bouncer.process.wait(10)
        except subprocess.TimeoutExpired:
            bouncer.process.kill()
