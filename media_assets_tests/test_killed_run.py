"""A run worker killed while it holds the writers' pool slot does not stop the next writer."""

import os
import re
import signal
from pathlib import Path

import duckdb

from media_assets.sandbox import World

from .helpers.materialize import count
from .helpers.webserver import RUN_STATUS, bin_path, instance_home, serve_ui

# logged by the code server for each run worker it starts
WORKER_PID = re.compile(r"Started process for run \(pid: (\d+)\)")


def test_next_run_succeeds_after_a_run_worker_is_killed_holding_the_slot(
    sandbox_environ: dict, world: World, tmp_path: Path
) -> None:
    """`dagster dev` alone: the killed run is failed, its slot freed, and a later writer succeeds.

    A connection held by the test keeps the first run's step waiting on the file, inside its slot,
    until the run worker is gone.
    """
    warehouse, log = tmp_path / "killed.duckdb", tmp_path / "dagster-dev.log"
    env = {
        **sandbox_environ,
        "DAGSTER_HOME": str(instance_home(tmp_path / "home")),
        "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
    }
    with serve_ui([bin_path("dagster"), "dev"], env, log) as graphql:
        with duckdb.connect(str(warehouse)):
            killed = graphql.launch([["picsart", "effects"]])
            graphql.wait_for_event(killed, lambda e: e["eventType"] == "STEP_START")  # it has the slot
            started = graphql.wait_for_event(killed, lambda e: WORKER_PID.search(e["message"] or ""))
            os.kill(int(WORKER_PID.search(started["message"]).group(1)), signal.SIGKILL)
        later = graphql.launch([["picsart", "effects"]])
        assert graphql.wait_for_run(later, timeout=120) == "SUCCESS", log.read_text()[-3000:]
        assert graphql(RUN_STATUS, id=killed)["runOrError"]["status"] == "FAILURE"
    assert count(str(warehouse), "picsart_data.effects") == len(world.picsart.effects)
