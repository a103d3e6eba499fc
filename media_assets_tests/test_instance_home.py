"""A fresh Dagster home is made ready before anything can race on it: parallel first starts are safe.

Dagster creates a fresh home's SQLite storage in whichever process opens it first, without a
lock. Runs started together on a fresh home each create tables and stamp alembic: one fails on
'table runs already exists', and the database keeps two alembic heads, failing every later start.
"""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .helpers.instance_home import alembic_versions, fresh_home, open_at_once
from .helpers.webserver import bin_path, free_port

COMMAND = bin_path("media-assets")


def assert_ready(home: Path) -> None:
    """Every storage database exists, each stamped with exactly one alembic revision."""
    versions = alembic_versions(home)
    assert versions, f"no storage in {home}: the first processes to start would race to create it"
    assert all(len(rows) == 1 for rows in versions.values()), versions


def wait_until_listening(process: subprocess.Popen, port: int, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before listening:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(log.read_text())


def test_sandbox_command_readies_a_fresh_home_before_runs_start(tmp_path: Path) -> None:
    """Once `media-assets sandbox` serves, runs started at once on its home all open it cleanly."""
    home = fresh_home(tmp_path / "dagster_home")
    port = free_port()
    log = tmp_path / "sandbox.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [COMMAND, "sandbox", "--port", str(port)],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_listening(process, port, log)
            assert_ready(home)
            assert open_at_once(home, processes=4) == []
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert f"DAGSTER_HOME={home}" in log.read_text()
    assert_ready(home)
    assert open_at_once(home, processes=1) == [], "a later start must still open the home"


def test_init_from_several_processes_at_once_leaves_one_healthy_home(tmp_path: Path) -> None:
    """`media-assets init` started three times at once on a fresh home: one prepares, the others wait."""
    home = fresh_home(tmp_path / "dagster_home")
    started = [
        subprocess.Popen(
            [COMMAND, "init", "--home", str(home)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in started]
    assert [process.returncode for process in started] == [0, 0, 0], outputs
    assert all(f"Dagster home ready: {home}" in output for output in outputs), outputs
    assert_ready(home)
    assert open_at_once(home, processes=4) == []
