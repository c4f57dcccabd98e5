"""A private PostgreSQL cluster for development and tests, started from the local binaries.

Used by `make run` (a cluster kept under `.data/`) and by the test harness (a throwaway one).
PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE = "searchsvc"


def pg_bindir() -> Path:
    """Folder of initdb/pg_ctl: from PG_BINDIR, else `pg_config --bindir`, else Debian's PostgreSQL 15."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and (Path(out.stdout.strip()) / "initdb").exists():
            return Path(out.stdout.strip())
    return Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """One PostgreSQL data directory listening on 127.0.0.1 at a port remembered in the directory."""

    datadir: Path

    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(pg_bindir() / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    @property
    def pgdata(self) -> Path:
        return self.datadir / "pgdata"

    @property
    def port(self) -> int:
        return int((self.datadir / "port").read_text())

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.datadir, "postgres", "postgres")
            # the postgres user must be able to reach the folder
            for parent in self.datadir.resolve().parents:
                if parent.stat().st_mode & 0o001 == 0:
                    parent.chmod(parent.stat().st_mode | 0o001)
        self._run(
            "initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )
        (self.datadir / "port").write_text(str(free_port()))
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# searchsvc development cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 256MB\nmax_connections = 200\n"
                "wal_level = replica\nmax_wal_senders = 5\n"
            )
        with open(self.pgdata / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")

    def running(self) -> bool:
        return self.initialised() and self._run("pg_ctl", "-D", str(self.pgdata), "status", check=False).returncode == 0

    def start(self) -> None:
        if not self.initialised():
            self.init()
        if self.running():
            return
        log = self.datadir / "postgres.log"
        if self._as_root:
            log.touch()
            shutil.chown(log, "postgres", "postgres")
        self._run(
            "pg_ctl", "-D", str(self.pgdata), "-l", str(log), "-w", "-t", "60",
            "-o", f"-p {self.port}", "start",
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL in {self.pgdata} did not become ready")
            time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop")

    def create_database(self, name: str = DEFAULT_DATABASE, template: str | None = None) -> None:
        """Create a database unless it exists."""
        exists = self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{_ident(name)}'").strip()
        if not exists:
            args = ["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            if template:
                args += ["-T", template]
            self._run(*args, name)

    def _psql(self, sql: str) -> str:
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-tAc", sql,
        ).stdout

    def replica(self, datadir: Path) -> "Cluster":
        """A streaming replica of this (running) cluster in `datadir`, copied by pg_basebackup -R; not started."""
        standby = Cluster(datadir)
        datadir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(datadir, "postgres", "postgres")
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-D", str(standby.pgdata), "-R", "-X", "stream", "--checkpoint=fast",
        )
        (datadir / "port").write_text(str(free_port()))
        return standby

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.datadir, ignore_errors=True)


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    return name
