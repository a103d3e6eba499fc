"""Where data lands: each checkout loads into its own warehouse, and dlt's own tools find it there."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .helpers import ROOT
from .helpers.dashboard import dashboard, query
from .helpers.webserver import bin_path

DEMO_TIMEOUT = 300
# the dlt pages' ways to read a pipeline's data, unchanged: rows, a pandas frame, an Arrow table
DATASET_SNIPPET = (
    "import dlt; dataset = dlt.pipeline('{pipeline}').dataset(); "
    "print(dataset.destination_client.config.credentials.database); "
    "print(len(dataset.{table}.fetchall()), len(dataset.{table}.df()), dataset.{table}.arrow().num_rows)"
)
PIPELINES = [("picsart_pipeline", "balance"), ("shotstack_pipeline", "renders")]


def clone(path: Path) -> Path:
    """A second checkout on the same machine: the code and the committed settings, nothing else."""
    shutil.copytree(
        ROOT / "media_assets", path / "media_assets", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "workspace.yaml"):
        shutil.copy(ROOT / name, path / name)
    (path / ".dlt").mkdir()
    shutil.copy(ROOT / ".dlt" / "config.toml", path / ".dlt" / "config.toml")
    return path


def env_of(checkout: Path) -> dict[str, str]:
    """A user's shell in `checkout`'s environment: no dlt folder overrides, its own code first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "MEDIA_ASSETS_", "DLT_"))}
    return {**env, "PYTHONPATH": str(checkout), "DAGSTER_HOME": str(checkout / "dagster_home")}


def run(args: list[str], checkout: Path, cwd: Path, timeout: float = 120, **env: str) -> str:
    done = subprocess.run(
        args, cwd=cwd, env={**env_of(checkout), **env}, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def loads(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from picsart_data._dlt_loads").fetchone()[0]


def global_pipeline_files() -> dict[Path, float]:
    """Files in dlt's machine-wide pipelines folders, with their modification times."""
    folders = [Path("/var/dlt/pipelines"), Path.home() / ".dlt" / "pipelines"]
    return {
        f: f.stat().st_mtime
        for folder in folders
        if folder.is_dir()
        for f in folder.rglob("*")
        if f.is_file()
    }


@pytest.fixture(scope="module")
def two_clones(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two checkouts that each ran the demo, the second one started from an unrelated directory."""
    first = clone(tmp_path_factory.mktemp("first-clone"))
    second = clone(tmp_path_factory.mktemp("second-clone"))
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    before = global_pipeline_files()
    started = time.time()
    command = [sys.executable, "-m", "media_assets.cli", "demo"]
    out = run(command, first, cwd=first, timeout=DEMO_TIMEOUT)
    assert f"Loaded into {first / 'data' / 'media_assets.duckdb'}:" in out
    loads_of_first = loads(first / "data" / "media_assets.duckdb")
    out = run(command, second, cwd=elsewhere, timeout=DEMO_TIMEOUT)
    assert f"Loaded into {second / 'data' / 'media_assets.duckdb'}:" in out
    assert loads(first / "data" / "media_assets.duckdb") == loads_of_first, (
        "the second clone loaded into the first"
    )
    touched = [
        f for f, mtime in global_pipeline_files().items() if mtime >= started and before.get(f) != mtime
    ]
    assert touched == [], "a run wrote pipeline state into dlt's machine-wide folder"
    assert list(elsewhere.iterdir()) == [], "a run wrote into the directory it was started from"
    return first, second


def test_each_clone_loads_into_its_own_warehouse(two_clones: tuple[Path, Path]) -> None:
    """Both warehouses hold a full load, and each clone's dlt state lives in its own data folder."""
    for checkout in two_clones:
        assert loads(checkout / "data" / "media_assets.duckdb") >= 1
        for pipeline in ("picsart_pipeline", "shotstack_pipeline"):
            assert (checkout / "data" / "dlt" / "pipelines" / pipeline / "state.json").is_file()


def rows(warehouse: Path, pipeline: str, table: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dataset = pipeline.replace("_pipeline", "_data")
        return con.execute(f"select count(*) from {dataset}.{table}").fetchone()[0]


@pytest.mark.parametrize(("pipeline", "table"), PIPELINES)
def test_dlt_dataset_snippet_reads_the_warehouse_unchanged(
    two_clones: tuple[Path, Path], pipeline: str, table: str
) -> None:
    """`dlt.pipeline(name).dataset()`, run from the project root with no edits, reads that clone's data
    as rows, `.df()` and `.arrow()`."""
    first, _ = two_clones
    code = DATASET_SNIPPET.format(pipeline=pipeline, table=table)
    database, counts = run([sys.executable, "-c", code], first, cwd=first).strip().splitlines()[-2:]
    warehouse = first / "data" / "media_assets.duckdb"
    assert database == str(warehouse)
    expected = rows(warehouse, pipeline, table)
    assert expected > 0
    assert [int(n) for n in counts.split()] == [expected] * 3
    assert not list(first.glob("*.duckdb")), "the snippet created a stray DuckDB file in the project root"


def test_dlt_dataset_follows_the_configured_warehouse(two_clones: tuple[Path, Path]) -> None:
    """With `duckdb_path` moved, `dataset()` opens the file the setting names, not dlt's default guess
    beside the pipeline's first working folder, although dagster-dlt keeps no path in local state."""
    first, _ = two_clones
    moved = first / "data" / "moved" / "warehouse.duckdb"
    moved.parent.mkdir()
    shutil.copy(first / "data" / "media_assets.duckdb", moved)
    code = DATASET_SNIPPET.format(pipeline="picsart_pipeline", table="balance")
    out = run(
        [sys.executable, "-c", code],
        first,
        cwd=first,
        MEDIA_ASSETS__DUCKDB_PATH="data/moved/warehouse.duckdb",
    )
    database, counts = out.strip().splitlines()[-2:]
    assert database == str(moved)
    assert int(counts.split()[0]) == rows(moved, "picsart_pipeline", "balance")


@pytest.mark.parametrize("pipeline", [p for p, _ in PIPELINES])
def test_dlt_pipeline_info_finds_the_pipeline(two_clones: tuple[Path, Path], pipeline: str) -> None:
    """`dlt pipeline <name> info` from the project root reads this clone's pipeline state."""
    first, _ = two_clones
    out = run([bin_path("dlt"), "pipeline", pipeline, "info"], first, cwd=first)
    assert f"Found pipeline {pipeline} in {first / 'data' / 'dlt' / 'pipelines'}" in out
    assert "dataset_name: " + pipeline.replace("_pipeline", "_data") in out


@pytest.mark.parametrize(("pipeline", "table"), PIPELINES)
def test_dlt_pipeline_show_queries_the_warehouse(
    two_clones: tuple[Path, Path], pipeline: str, table: str
) -> None:
    """`dlt pipeline <name> show`, with the venv's tools on PATH as the README says, serves a dashboard
    whose SQL editor answers from this clone's warehouse."""
    first, _ = two_clones
    expected = rows(first / "data" / "media_assets.duckdb", pipeline, table)
    env = {**env_of(first), "PATH": f"{Path(bin_path('dlt')).parent}{os.pathsep}{os.environ['PATH']}"}
    with dashboard([bin_path("dlt"), "pipeline", pipeline, "show"], cwd=first, env=env) as url:
        shown = query(url, f"select count(*) as n from {table}", "n")
    assert shown == [{"n": expected}]
    assert not list(first.glob("*.duckdb")), "the dashboard created a stray DuckDB file in the project root"
