"""A private, throwaway PostgreSQL cluster that the fault tests may stop, start and disturb.

The machine's shared server on 5432 serves every other test (and other people's runs), so it is never
stopped. This cluster lives in a temporary directory, listens on a free loopback port, and belongs to the
``postgres`` OS user when the tests run as root (PostgreSQL refuses to run as root). The superuser
``postgres`` connects with trust auth (admin work behind the app's back); the app's own role logs in with a
password over SCRAM, so tests can check that the password never reaches the logs.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

from devtools.net import free_port

SUPERUSER = "postgres"
APP_ROLE = "todo_fault_app"
APP_DATABASE = "todo_faults"
OS_USER = "postgres"
POSTGRES_LIB = Path("/usr/lib/postgresql")


def postgres_bin_dir() -> Path | None:
    """The newest installed server's binaries (``TEST_POSTGRES_BIN`` overrides), or None."""
    override = os.environ.get("TEST_POSTGRES_BIN")
    if override:
        return Path(override) if (Path(override) / "pg_ctl").is_file() else None
    candidates = sorted(
        (path.parent for path in POSTGRES_LIB.glob("*/bin/pg_ctl")),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def unavailable_reason() -> str | None:
    """None when a private cluster can be started here; otherwise why not (for a skip message)."""
    if postgres_bin_dir() is None:
        return f"no PostgreSQL server binaries (initdb, pg_ctl) under {POSTGRES_LIB} or TEST_POSTGRES_BIN"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no {OS_USER!r} OS user to run PostgreSQL as"
    return None


def _as_server_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", OS_USER, "--", *command]
    return command


@dataclass
class PrivatePostgres:
    bin_dir: Path
    directory: Path
    port: int
    app_password: str
    running: bool = False

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.directory}",
                # A scratch cluster: durability is not needed, start-up and stop speed is.
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=16MB",
                "-c max_connections=40",
            ]
        )
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.log_path), "-o", options)
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends sessions cleanly (a planned restart); ``immediate`` is closer to a crash."""
        self._pg_ctl("stop", "-w", "-t", "30", "-m", mode)
        self.running = False

    def admin(self, database: str = "postgres") -> pg8000.native.Connection:
        return pg8000.native.Connection(
            SUPERUSER, host="127.0.0.1", port=self.port, database=database, timeout=10
        )

    def url(self, *, port: int | None = None) -> str:
        """The app's URL, password included: what a real ``DATABASE_URL`` holds."""
        return f"postgresql://{APP_ROLE}:{self.app_password}@127.0.0.1:{port or self.port}/{APP_DATABASE}"

    def terminate_app_backends(self) -> int:
        """End every server connection of the app's role to its database, as an operator (or Neon) might, and
        return once those backends have exited (up to 5 s each): their connections are closed by then, as they
        are long before the next request in real life."""
        admin = self.admin()
        try:
            rows = admin.run(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE usename = :role AND datname = :database AND pid <> pg_backend_pid()",
                role=APP_ROLE,
                database=APP_DATABASE,
            )
        finally:
            admin.close()
        return int(rows[0][0])


def _init_cluster(cluster: PrivatePostgres) -> None:
    command = [
        str(cluster.bin_dir / "initdb"),
        "-D",
        str(cluster.data_dir),
        "-U",
        SUPERUSER,
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--auth=trust",
    ]
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed: {result.stderr.strip()}")
    # Trust for the superuser (the tests' admin connections); SCRAM for everyone else, the app included.
    (cluster.data_dir / "pg_hba.conf").write_text(
        "\n".join(
            [
                f"local all {SUPERUSER} trust",
                f"host all {SUPERUSER} 127.0.0.1/32 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                "",
            ]
        )
    )


def _create_app_database(cluster: PrivatePostgres) -> None:
    admin = cluster.admin()
    try:
        admin.run(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{cluster.app_password}'")
        admin.run(f"CREATE DATABASE {APP_DATABASE} OWNER {APP_ROLE}")
    finally:
        admin.close()


@contextmanager
def running_private_postgres(app_password: str) -> Iterator[PrivatePostgres]:
    """A started cluster with the app's role and an empty database it owns; removed afterwards."""
    bin_dir = postgres_bin_dir()
    assert bin_dir is not None, unavailable_reason()
    # Not pytest's tmp_path: its parents are private to root, and the server runs as another user.
    directory = Path(tempfile.mkdtemp(prefix="todo-private-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(OS_USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    cluster = PrivatePostgres(
        bin_dir=bin_dir, directory=directory, port=free_port(), app_password=app_password
    )
    try:
        _init_cluster(cluster)
        cluster.start()
        _create_app_database(cluster)
        yield cluster
    finally:
        if cluster.running:
            cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
