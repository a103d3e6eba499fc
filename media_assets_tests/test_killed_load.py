"""A run killed before its load finished is completed by the next run, even into a fresh warehouse."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from media_assets.lib import loading
from media_assets.lib.inbox import append_ids, scan
from media_assets.lib.naming import PICSART, SHOTSTACK
from media_assets.sandbox import Sandbox

from .helpers.faults import (
    duplicate_keys,
    expected_rows,
    loaded_rows,
    point_at,
    still_sandbox,
    stored_source_state,
)
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


# a refresh of the renders and their hosted files, as the schedule runs it, in a process of its own.
# With "load" it holds still inside dlt's load of its first package (the renders), after the jobs
# wrote the rows and before dlt records the load as done, so that the kill lands there
REFRESH = """
import sys, time
import dagster as dg
from dlt.load.load import Load
from media_assets.definitions import defs
from media_assets.defs.resources import build_resources

if sys.argv[2] == "load":
    def hold(*args, **kwargs):
        print("holding", flush=True)
        time.sleep(600)
    Load.complete_package = hold
assets = [a for a in defs().assets if isinstance(a, dg.AssetsDefinition)]
shotstack = [a for a in assets if all(key.path[0] == "shotstack" for key in a.keys)]
dg.materialize(shotstack, resources=build_resources(sys.argv[1]), selection=list(sys.argv[3:]))
"""
REFRESH_ASSETS = ["shotstack/renders", "shotstack/assets_by_render"]
# where each kill lands: the sandbox endpoint whose Nth request is in flight, or dlt's load
KILL_POINTS = {
    "extracting-renders": ("shotstack.render_get", 3),
    "loading-renders": (None, 0),
    "extracting-files": ("shotstack.assets_by_render", 1),
}


def kill_refresh(sandbox: Sandbox, warehouse: str, point: str) -> None:
    """A real refresh process, killed with SIGKILL at `point`: while the sandbox holds its Nth request
    to an endpoint (slowed so the process is surely waiting on it), or while dlt loads."""
    endpoint, nth = KILL_POINTS[point]
    if endpoint:
        sandbox.set_latency(0.3, endpoint)
    step = "load" if endpoint is None else "extract"
    process = subprocess.Popen(
        [sys.executable, "-c", REFRESH, warehouse, step, *REFRESH_ASSETS], stdout=subprocess.PIPE, text=True
    )
    try:
        if endpoint is None:
            assert process.stdout is not None and process.stdout.readline().strip() == "holding"
        else:
            deadline = time.monotonic() + 120
            while sandbox.counts[endpoint] < nth:
                assert process.poll() is None, "the refresh ended before the kill"
                assert time.monotonic() < deadline, f"no request {nth} to {endpoint}"
                time.sleep(0.01)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    sandbox.clear_latency()


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_refresh_killed_while_extracting_or_loading_is_completed_by_the_next(
    point: str,
    own_pipelines: Path,
    tmp_path: Path,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Render ids arrive as webhooks in the inbox; the refresh that looks them up and fetches their
    files is killed mid-fetch or mid-load. The next refresh ends with exactly the world's renders and
    files, each once; dlt's stored state tracks every render with its status (none deferred) and every
    settled render's files; the inbox still holds every id."""
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(inbox))
    with still_sandbox() as sandbox:
        point_at(sandbox, monkeypatch)
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")  # the inbox is the only source
        ids = sandbox.world.render_ids("v1")
        append_ids(inbox, ids, "callback")
        expected = expected_rows(sandbox)

        kill_refresh(sandbox, warehouse, point)
        stopped = loading.pipeline(SHOTSTACK, warehouse)
        loaded = loaded_rows(warehouse) if Path(warehouse).exists() else {}
        if point == "extracting-renders":
            assert not stopped.has_pending_data and not loaded.get("shotstack_data.renders")
        if point == "loading-renders":
            assert stopped.has_pending_data, "the package is still to be recorded"
            assert loaded["shotstack_data.renders"] == expected["shotstack_data.renders"], "rows written"
            assert rows(warehouse, "select count(*) from shotstack_data._dlt_loads") == [(0,)], "not recorded"
        if point == "extracting-files":
            # Serve's file fetches overlap Edit's lookups: the renders may be unloaded, or pending, too
            assert not loaded.get("shotstack_data.assets_by_render")

        assert materialize(warehouse, instance, REFRESH_ASSETS).success

        found = loaded_rows(warehouse)
        for table in (
            "shotstack_data.renders",
            "shotstack_data.renders_not_found",
            "shotstack_data.assets_by_render",
        ):
            assert found[table] == expected[table], table
        assert duplicate_keys(warehouse) == {}
        assert not loading.pipeline(SHOTSTACK, warehouse).has_pending_data
        state = stored_source_state(warehouse)
        statuses = sorted(state["renders_by_version"]["v1"].items())
        assert statuses == [(i, status) for i, status, *_ in expected["shotstack_data.renders"]]
        assert sorted(state["assets_settled_by_version"]["v1"]) == settled_renders(sandbox)
        assert sorted(scan(inbox, None).new_ids) == sorted(ids), "no webhook id left the inbox"


def settled_renders(sandbox: Sandbox) -> list[str]:
    """Done renders whose hosted files have all reached a final status at the stopped clock."""
    now = sandbox.clock.now()
    done = [r.id for r in sandbox.world.renders if r.version == "v1" and r.status_at(now) == "done"]
    final = ("ready", "failed", "deleted")
    return sorted(
        i
        for i in done
        if sandbox.world.assets_for(i) and all(a.status_at(now) in final for a in sandbox.world.assets_for(i))
    )
