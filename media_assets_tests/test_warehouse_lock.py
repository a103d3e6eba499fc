"""Another process holding the DuckDB file (a shell, a notebook) delays a load; it never loses one."""

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from media_assets.lib import loading
from media_assets.lib.naming import PICSART
from media_assets.lib.warehouse import LOCK_CONFLICT, Warehouse
from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Sandbox, World, WorldSize
from media_assets.sources.picsart import picsart_source

from .helpers import SEED
from .helpers.location import assets
from .helpers.materialize import count, expected_counts, materialize, rows
from .helpers.webserver import GraphQL, bin_path, instance_home, serve_ui

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def reader_holding(warehouse: str, seconds: float) -> Iterator[subprocess.Popen]:
    """A separate process with a read-only connection open on the file, as a DuckDB shell has."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, warehouse, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture
def loaded_once(sandbox_environ: dict, warehouse: str, instance: dg.DagsterInstance) -> str:
    """A warehouse that exists, so a reader can open it."""
    materialize(warehouse, instance, ["picsart/effects"])
    return warehouse


def test_load_waits_for_a_reader_and_succeeds(loaded_once: str, instance: dg.DagsterInstance) -> None:
    """A reader holding the file for a few seconds makes the run wait, say why, then load."""
    with reader_holding(loaded_once, 3):
        started = time.monotonic()
        result = materialize(loaded_once, instance, ["picsart/balance"])
    assert result.success
    assert time.monotonic() - started >= 2, "the run cannot have loaded while the file was held"
    assert count(loaded_once, "picsart_data.balance") == 1
    logs = [r.user_message for r in instance.all_logs(result.run_id)]
    assert any("Could not set lock" in m and "lock_wait_seconds" in m for m in logs)


def test_lock_held_too_long_fails_clearly_and_loses_nothing(
    loaded_once: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `lock_wait_seconds` the run fails naming the setting; the next run loads everything."""
    monkeypatch.setenv("MEDIA_ASSETS__LOCK_WAIT_SECONDS", "1")
    with reader_holding(loaded_once, 30):
        result = materialize(loaded_once, instance, ["picsart/balance"], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "[media_assets] lock_wait_seconds" in message and "stayed locked" in message
    assert materialize(loaded_once, instance, ["picsart/balance"]).success
    assert count(loaded_once, "picsart_data.balance") == 1


def test_data_a_stopped_load_left_is_loaded_by_the_next_run(
    loaded_once: str, instance: dg.DagsterInstance
) -> None:
    """A package dlt extracted but could not load (say, the lock outlasted the wait) is not dropped."""
    pipeline = loading.pipeline(PICSART, loaded_once)
    pipeline.extract(picsart_source().with_resources("balance"))
    assert pipeline.has_pending_data
    materialize(loaded_once, instance, ["picsart/effects"])
    assert count(loaded_once, "picsart_data.balance") == 1
    assert not pipeline.has_pending_data


def test_a_snapshot_fetched_before_a_hold_is_loaded_by_the_retry(
    loaded_once: str, instance: dg.DagsterInstance, fresh_sandbox: Sandbox
) -> None:
    """A reader opens the file after the balance was fetched but before it loaded: the step waits,
    then loads that snapshot as well as the one it takes again; no reading is dropped."""
    fresh_sandbox.set_latency(2.0, "picsart.balance")  # time to open the file in mid-fetch

    def hold_once_fetching() -> None:
        deadline = time.monotonic() + 60
        while fresh_sandbox.counts["picsart.balance"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        with reader_holding(loaded_once, 30):
            time.sleep(4)

    holder = threading.Thread(target=hold_once_fetching)
    holder.start()
    try:
        result = materialize(loaded_once, instance, ["picsart/balance"])
    finally:
        holder.join()
        fresh_sandbox.set_latency(0.0, "picsart.balance")
    assert result.success
    logs = [r.user_message for r in instance.all_logs(result.run_id)]
    assert any("Could not set lock" in m for m in logs), "the load must have met the hold"
    assert fresh_sandbox.counts["picsart.balance"] == 2
    assert count(loaded_once, "picsart_data.balance") == 2, "every snapshot fetched is kept"


def test_sql_assets_wait_for_the_file_too(loaded_once: str) -> None:
    """The DuckDB resource behind the SQL assets waits out a reader instead of failing."""
    with reader_holding(loaded_once, 2):
        started = time.monotonic()
        with Warehouse(database=loaded_once).get_connection() as con:
            assert con.execute("select count(*) from picsart_data.effects").fetchone()[0] > 0
    assert time.monotonic() - started >= 1


IN_PROCESS = re.compile(r"Executing steps in process \(pid: (\d+)\)")


def launch_all_at_once(graphql: GraphQL) -> list[str]:
    """One run each for Picsart, Shotstack and the summaries, all launched before any is done.

    Returns every DuckDB lock message the runs logged; each run must succeed, in a process of its
    own, and log no failure.
    """
    groups = [
        [list(key.path) for a in assets(group) for key in a.keys]
        for group in ("picsart", "shotstack", "usage")
    ]
    run_ids = [graphql.launch(paths, checks=False) for paths in groups]
    assert [graphql.wait_for_run(run_id) for run_id in run_ids] == ["SUCCESS"] * 3
    events = {run_id: graphql.events(run_id) for run_id in run_ids}
    pids = {
        m.group(1)
        for logged in events.values()
        for e in logged
        if (m := IN_PROCESS.search(e["message"] or ""))
    }
    assert len(pids) == 3, "each run's steps ran in that run's own process"
    for logged in events.values():
        assert not [e for e in logged if e["eventType"] in ("STEP_FAILURE", "RUN_FAILURE")], logged
    return [
        e["message"] for logged in events.values() for e in logged if LOCK_CONFLICT in (e["message"] or "")
    ]


def test_runs_at_once_from_separate_processes_wait_out_every_lock(
    tmp_path: Path, warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both sources and the summaries launched at once, then again while a reader holds the file 20 s.

    Every run succeeds with no failed step, each lock met (the other runs', then the reader's) is
    waited out, and every table holds exactly the world's rows.
    """
    world = World.generate(seed=SEED, size=WorldSize())
    sandbox = Sandbox(world, clock_speed=0.0)  # no render finishes between runs: exact file counts
    done = [r.id for r in world.renders if r.version == "v1" and r.status_at(world.now) == "done"]
    files = sum(len(world.assets_for(render_id)) for render_id in done)
    with sandbox.serve():
        env = {**sandbox_env(sandbox, world), "MEDIA_ASSETS__DUCKDB_PATH": warehouse}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        materialize(warehouse, instance)  # the summaries read these tables: they must exist
        # the webserver alone starts every run at once: nothing but the lock wait keeps them apart
        home = {"DAGSTER_HOME": str(instance_home(tmp_path / "home"))}
        with serve_ui([bin_path("dagster-webserver")], home, tmp_path / "webserver.log") as graphql:
            launch_all_at_once(graphql)
            with reader_holding(warehouse, 20) as reader:
                conflicts = launch_all_at_once(graphql)
    assert any(f"(PID {reader.pid})" in message for message in conflicts), conflicts
    for table, expected in {**expected_counts(world), "picsart_data.balance": 3}.items():
        assert count(warehouse, table) == expected, table
    assert count(warehouse, "shotstack_data.assets_by_render") == files
    summary = "select renders, hosted_assets from usage.render_usage_summary where version = 'all'"
    assert rows(warehouse, summary) == [(len(world.render_ids("v1")), files)]
    assert count(warehouse, "usage.credit_balance_daily") == 1
