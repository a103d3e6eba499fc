"""The Dagster home made ready once, before anything can race on it.

Dagster creates a home's SQLite storage (runs, the event log index, schedules) in whichever
process opens the instance first, without a lock. Runs, a daemon and a webserver starting
together on a fresh home each create the tables and stamp alembic: one fails on 'table runs
already exists', and the database keeps two alembic heads, so every later start fails. Preparing
the home first, in one process at a time, leaves them nothing to create.
"""

import fcntl
import os
from pathlib import Path

import dagster as dg

from ..lib import project

# kept in the home itself: every preparer of one home, from any checkout or command, meets here
LOCK_FILE = ".media-assets-init.lock"


def default_home() -> Path:
    """DAGSTER_HOME when set, else the project's `dagster_home/`, the one its commands print."""
    given = os.environ.get("DAGSTER_HOME")
    return Path(given) if given else project.root() / "dagster_home"


def prepare(home: Path) -> Path:
    """Create and migrate `home`'s storage, holding a file lock so concurrent callers take turns.

    Safe to repeat: on a ready home it only checks the schema. It also migrates a home written by
    an older Dagster, which the other processes would otherwise refuse to open.
    """
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            instance.upgrade()
        finally:
            instance.dispose()
    return home
