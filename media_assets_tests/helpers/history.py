"""`media-assets demo --days N`, run once as a user runs it, in a folder of its own."""

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import duckdb

from media_assets.sandbox.history import History, history_world
from media_assets.sandbox.world import World

from . import ROOT, SEED
from .webserver import bin_path

# few days, so the run stays cheap: each of them ends in a Dagster run
DAYS = 2


@dataclass
class HistoryDemo:
    """Where the demo ran, what it printed, and the world it played (rebuilt from its first reading)."""

    folder: Path
    warehouse: Path
    home: Path
    stdout: str
    world: World

    @property
    def env(self) -> dict[str, str]:
        return project_env(self.folder)


def project_env(folder: Path) -> dict[str, str]:
    """A user's shell in `folder`: its dlt project and Dagster home, no leftover settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "MEDIA_ASSETS_", "DLT_"))}
    return {**env, "DLT_PROJECT_DIR": str(folder), "DAGSTER_HOME": str(folder / "dagster_home")}


def play(folder: Path, days: int = DAYS) -> HistoryDemo:
    """Run the history demo in `folder` (given the repo's config.toml and dagster.yaml)."""
    (folder / ".dlt").mkdir(parents=True)
    shutil.copy(ROOT / ".dlt" / "config.toml", folder / ".dlt" / "config.toml")
    (folder / "dagster_home").mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", folder / "dagster_home" / "dagster.yaml")
    done = subprocess.run(
        [bin_path("media-assets"), "demo", "--days", str(days)],
        cwd=folder,
        env=project_env(folder),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    warehouse = folder / "data" / "media_assets.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (first,) = con.execute("select min(taken_at) from picsart_data.balance").fetchone()
    # the first reading is an hour after the history starts; the world is the same from its start
    # (in datetime's own UTC: the sandbox dates its answers with it)
    start = first.astimezone(UTC) - timedelta(hours=1)
    world = history_world(SEED, start + timedelta(days=days), History(days))
    return HistoryDemo(folder, warehouse, folder / "dagster_home", done.stdout, world)
