"""Test helper: Dagster homes, and several real processes opening one at the same moment."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from . import ROOT

# import Dagster, say so, wait for the go file, then open the instance and read every storage:
# what each run worker, daemon or `dagster` command does first
OPEN_INSTANCE = """
import os, sys, time
import dagster as dg
print("ready", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.002)
instance = dg.DagsterInstance.get()
instance.get_runs(limit=1)
instance.get_latest_materialization_events([dg.AssetKey("probe")])
instance.all_instigator_state()
instance.dispose()
print("opened", flush=True)
"""


def fresh_home(path: Path) -> Path:
    """A Dagster home as the repository ships it: `dagster.yaml` and nothing else."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", path / "dagster.yaml")
    return path


def open_at_once(home: Path, processes: int = 4, timeout: float = 300) -> list[str]:
    """Start `processes` that open `home` together; the last stderr line of each one that failed.

    All import Dagster first and wait for one go file, so they reach the storage at once, as
    runs started together do.
    """
    go = home.parent / f"{home.name}.go"
    go.unlink(missing_ok=True)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    started = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_INSTANCE, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for process in started:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        go.touch()
        done = [(process, *process.communicate(timeout=timeout)) for process in started]
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [
        (err.strip().splitlines() or ["(no output)"])[-1] for process, _, err in done if process.returncode
    ]


def alembic_versions(home: Path) -> dict[str, list[str]]:
    """Each storage database of the home, with the rows of its alembic_version table."""
    found = {}
    for database in sorted(home.rglob("*.db")):
        with sqlite3.connect(database) as con:
            tables = {name for (name,) in con.execute("select name from sqlite_master where type='table'")}
            has_versions = "alembic_version" in tables
            rows = con.execute("select version_num from alembic_version").fetchall() if has_versions else []
        found[str(database.relative_to(home))] = [version for (version,) in rows]
    return found
