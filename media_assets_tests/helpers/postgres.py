"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, started with pg_ctl.

`initdb` refuses to run as root, and CI runs as root: there the cluster belongs to the `postgres`
system user (the Debian package creates it) and each server command runs through `runuser`.
pg_ctl does the process work (start, wait until it accepts connections, stop), so this only picks
the folder, the port and a password.
"""

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

SERVER_USER = "postgres"
ROLE = "postgres"


def bin_dir() -> Path | None:
    """The newest installed server's binaries (`postgresql` on Debian), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def require_bin_dir() -> Path:
    """The server's binaries; without them a test skips, and under CI (`CI` set) it fails."""
    found = bin_dir()
    if found is None:
        message = "PostgreSQL is not installed: apt-get install postgresql (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A running cluster on 127.0.0.1: its superuser needs a password over TCP, as a real one does."""

    folder: Path
    port: int
    password: str
    bin: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        con = psycopg2.connect(self.url(database))
        con.autocommit = True
        return con

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        con = self.connect()
        try:
            con.cursor().execute(f'create database "{name}"')
        finally:
            con.close()
        return self.url(name)


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def start() -> Cluster:
    """initdb and start a cluster in a new temp folder that the server's user owns."""
    binaries = require_bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="media-assets-pg-"))
    cluster = Cluster(folder, _free_port(), secrets.token_hex(16), binaries)
    (folder / "pwfile").write_text(cluster.password)
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
        shutil.chown(folder / "pwfile", SERVER_USER)
    data = folder / "data"
    run = lambda *args: subprocess.run(_as_server_user(list(args)), check=True, capture_output=True)  # noqa: E731
    run(
        str(binaries / "initdb"),
        f"--pgdata={data}",
        f"--username={ROLE}",
        f"--pwfile={folder / 'pwfile'}",
        "--auth-host=scram-sha-256",
        "--auth-local=peer",
        "--encoding=UTF8",
        "--locale=C",
    )
    (folder / "pwfile").unlink()
    # loopback only, a socket in the folder, no fsync: a throwaway cluster need not survive a crash
    options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {folder} -c fsync=off"
    options += " -c max_connections=200"
    log = f"--log={folder / 'server.log'}"
    run(str(binaries / "pg_ctl"), f"--pgdata={data}", log, "-o", options, "-w", "start")
    return cluster


def stop(cluster: Cluster) -> None:
    data = cluster.folder / "data"
    subprocess.run(
        _as_server_user([str(cluster.bin / "pg_ctl"), f"--pgdata={data}", "-m", "fast", "stop"]),
        check=False,
        capture_output=True,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)
