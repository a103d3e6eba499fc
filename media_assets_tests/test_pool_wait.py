"""A run waiting for the warehouse while another run holds it costs next to no CPU.

The writers' pool has one slot. Dagster's run worker, with op granularity, waits for a slot in a
loop that never sleeps: a run blocked on the pool used a whole core for as long as it waited.
"""

import re
import time
from pathlib import Path

import duckdb
import pytest

from .helpers.materialize import count
from .helpers.processes import cpu_seconds, process_tree
from .helpers.webserver import GraphQL, bin_path, instance_home, serve_ui, step_started

# what a waiting run shows: queued by the daemon, or its step blocked by the pool or the file lock
WAITING = ("Step blocked by limit for pool", "Could not set lock")
RUN_PROCESS = re.compile(r"Started process for run \(pid: (\d+)\)")
WINDOW_SECONDS = 10.0
# a waiting run worker polls its step's event queue and a waiting step sleeps between tries: a few
# percent of a core. A quarter leaves room for a loaded machine; the loop it guards against used ~100%
MAX_CPU_SHARE = 0.25

DEPLOYMENTS = {
    # the README's `dagster dev`: its daemon queues runs (the QueuedRunCoordinator)
    "dagster dev": (["dagster", "dev"], "QueuedRunCoordinator"),
    # a webserver alone launches each run at once, so the run itself has to wait
    "webserver alone": (["dagster-webserver"], "DefaultRunCoordinator"),
}


def waiting_processes(graphql: GraphQL, run_id: str, timeout: float = 180) -> list[int]:
    """Once the run waits, the processes it waits in: none while it is queued."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if graphql.status(run_id) == "QUEUED":
            return []
        events = graphql.events(run_id)
        if any(any(sign in (e.get("message") or "") for sign in WAITING) for e in events):
            started = [RUN_PROCESS.search(e.get("message") or "") for e in events]
            (pid,) = {int(found[1]) for found in started if found}
            return process_tree(pid)
        time.sleep(0.5)
    raise TimeoutError(f"run {run_id} did not start waiting in {timeout}s")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="CPU time is read from Linux's /proc")
@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_run_waiting_for_the_warehouse_uses_little_cpu(
    deployment: str, sandbox_environ: dict, tmp_path: Path
) -> None:
    """The first run's step is held up inside the pool; the second run's wait is measured."""
    command, coordinator = DEPLOYMENTS[deployment]
    warehouse = tmp_path / "held.duckdb"
    env = {
        **sandbox_environ,
        "DAGSTER_HOME": str(instance_home(tmp_path / "home", coordinator)),
        "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
    }
    with serve_ui([bin_path(command[0]), *command[1:]], env, tmp_path / "ui.log") as graphql:
        holder = duckdb.connect(str(warehouse))  # a writer elsewhere: the first run's step waits for it
        try:
            first = graphql.launch([["picsart", "effects"]])
            graphql.wait_for_event(first, step_started("picsart"))
            second = graphql.launch([["shotstack", "templates"]])
            pids = waiting_processes(graphql, second)
            status = graphql.status(second)
            used, started = cpu_seconds(pids), time.monotonic()
            time.sleep(WINDOW_SECONDS)
            used, wall = cpu_seconds(pids) - used, time.monotonic() - started
            assert graphql.status(second) == status, "the second run must still be waiting"
        finally:
            holder.close()
        statuses = [graphql.wait_for_run(first), graphql.wait_for_run(second)]
    assert statuses == ["SUCCESS", "SUCCESS"], (tmp_path / "ui.log").read_text()[-3000:]
    assert wall >= WINDOW_SECONDS
    assert used <= MAX_CPU_SHARE * wall, f"the waiting run used {used:.1f}s of CPU in {wall:.1f}s"
    assert count(str(warehouse), "shotstack_data.templates") > 0
