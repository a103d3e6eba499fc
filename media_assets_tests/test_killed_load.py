"""A load killed before it loaded is finished by the next run, even into a fresh warehouse."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from media_assets.lib import loading
from media_assets.lib.naming import PICSART

from .helpers.materialize import materialize, rows

# extract one balance snapshot (and normalize it, if told), say so, then wait to be killed
STOP_BEFORE_LOAD = """
import sys, time
from media_assets.lib import loading
from media_assets.lib.naming import PICSART
from media_assets.sources.picsart import picsart_source

pipeline = loading.pipeline(PICSART, sys.argv[1])
pipeline.extract(picsart_source().with_resources("balance"))
if sys.argv[2] == "normalize":
    pipeline.normalize()
print("stopped", flush=True)
time.sleep(600)
"""


@pytest.fixture
def own_pipelines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dlt's pipeline folders for this test alone, so no other test's packages are pending here."""
    folder = tmp_path / "dlt"
    monkeypatch.setenv("DLT_DATA_DIR", str(folder))
    return folder


def kill_after(step: str, warehouse: str) -> None:
    """A real process that took a snapshot through `step`, killed with SIGKILL before it could load."""
    process = subprocess.Popen(
        [sys.executable, "-c", STOP_BEFORE_LOAD, warehouse, step], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "stopped"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("step", ["normalize", "extract"])
def test_snapshot_of_a_killed_first_load_is_loaded_by_the_next_run(
    step: str, sandbox_environ: dict, own_pipelines: Path, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """The first load into a fresh warehouse dies after `step`; the next run loads its snapshot.

    dlt's sync with a destination that has no dataset yet wipes the pipeline's folder, pending
    packages included; the snapshot in it cannot be fetched again.
    """
    kill_after(step, warehouse)
    stopped = loading.pipeline(PICSART, warehouse)
    pending = [*stopped.list_extracted_load_packages(), *stopped.list_normalized_load_packages()]
    assert len(pending) == 1, "the killed process left its package behind"
    assert not Path(warehouse).exists(), "nothing reached the warehouse: it is still fresh"

    # a normal materialization of another asset: the snapshot can only come from the killed run
    result = materialize(warehouse, instance, ["picsart/effects"])

    assert result.success
    assert rows(warehouse, "select _dlt_load_id from picsart_data.balance") == [(pending[0],)]
    assert not loading.pipeline(PICSART, warehouse).has_pending_data
