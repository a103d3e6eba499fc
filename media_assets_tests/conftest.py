"""Shared fixtures: a seeded sandbox on a free loopback port, isolated dlt config, temp DuckDB files."""

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import ROOT, SEED
from .helpers import postgres as pg

# before dlt is imported: read the repo's config.toml but never a developer's secrets.toml,
# nor a developer's warehouse settings, and keep dlt's pipeline state out of the home directory
_DLT_DIR = Path(tempfile.mkdtemp(prefix="media-assets-dlt-"))
(_DLT_DIR / ".dlt").mkdir()
shutil.copy(ROOT / ".dlt" / "config.toml", _DLT_DIR / ".dlt" / "config.toml")
os.environ["DLT_PROJECT_DIR"] = str(_DLT_DIR)
os.environ["DLT_DATA_DIR"] = str(_DLT_DIR / "data")
# dlt's backoff, shortened so fault tests take seconds, not minutes
os.environ["RUNTIME__REQUEST_BACKOFF_FACTOR"] = "0.05"
os.environ["RUNTIME__REQUEST_MAX_RETRY_DELAY"] = "0.5"
for name in list(os.environ):
    if name.startswith(("SOURCES__", "MEDIA_ASSETS_", "DESTINATION__")):
        del os.environ[name]
# the sandbox keeps the published limits on 60 s windows, which no test's small world reaches; an
# injected Shotstack 429 waits out a window of the pace's, so that one is short, and a run waits for
# rate limits at most 2 s before it leaves the rest to dlt's retries and the next run, as it did
# before pacing. The pacing tests set their own.
os.environ["MEDIA_ASSETS__RATE_WINDOW_SECONDS"] = "0.2"
os.environ["MEDIA_ASSETS__RUN_SECONDS"] = "2"

import dagster as dg  # noqa: E402

from media_assets.lib import rate_buckets  # noqa: E402
from media_assets.local.sandbox_env import sandbox_env  # noqa: E402
from media_assets.sandbox import Sandbox, World, WorldSize  # noqa: E402

from .helpers.history import HistoryDemo, play  # noqa: E402

_DATABASES = itertools.count()


@pytest.fixture(scope="session")
def world() -> World:
    return World.generate(seed=SEED, size=WorldSize())


@pytest.fixture(scope="session")
def sandbox(world: World) -> Iterator[Sandbox]:
    served = Sandbox(world)
    with served.serve():
        yield served


@pytest.fixture
def fresh_sandbox(sandbox: Sandbox) -> Sandbox:
    """The session's sandbox with no faults, no latency and zeroed counters."""
    sandbox.clear_faults()
    sandbox.clear_latency()
    sandbox.reset_counts()
    return sandbox


@pytest.fixture
def sandbox_environ(fresh_sandbox: Sandbox, world: World, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Both sources pointed at the sandbox, with its keys, through dlt's environment variables."""
    env = sandbox_env(fresh_sandbox, world)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="session")
def history_demo(tmp_path_factory: pytest.TempPathFactory) -> HistoryDemo:
    """`media-assets demo --days 2`, once: the history the notebook, plots and runway tests read."""
    return play(tmp_path_factory.mktemp("history"))


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse" / "media_assets.duckdb")


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg.Cluster]:
    """One throwaway PostgreSQL cluster for the session; tests take a database of their own in it."""
    cluster = pg.start()
    try:
        yield cluster
    finally:
        rate_buckets.close_all()  # before the server goes, or its pools reconnect for minutes
        pg.stop(cluster)


@pytest.fixture
def pg_database(postgres: pg.Cluster, request: pytest.FixtureRequest) -> str:
    """A new, empty database in the session's cluster: its URL, password included."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name.lower())[:50]
    return postgres.create_database(f"{name}_{os.getpid()}_{next(_DATABASES)}")


@pytest.fixture(scope="module")
def postgres_module_database(postgres: pg.Cluster, request: pytest.FixtureRequest) -> str:
    """A new, empty database for a module's shared fixtures."""
    return postgres.create_database(f"m_{request.module.__name__.rsplit('.', 1)[-1]}_{next(_DATABASES)}")


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance
