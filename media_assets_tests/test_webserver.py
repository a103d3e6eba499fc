"""The path a click in the UI takes: a real dagster-webserver, its GraphQL API, a launched run."""

import time
from pathlib import Path

import duckdb

from media_assets.lib.warehouse import WRITERS_POOL
from media_assets.sandbox import Sandbox, World

from .helpers.materialize import count
from .helpers.webserver import GraphQL, bin_path, instance_home, serve_ui, step_started

ASSET_NODES = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"
STEP_STATS = """
query Steps($id: ID!) {
  runOrError(runId: $id) { ... on Run { stepStats { stepKey status startTime endTime } } }
}"""
POOL_BLOCKED = f"Step blocked by limit for pool {WRITERS_POOL}"
# three of the queue daemon's dequeue passes (one every 5 s by default)
HOLD_SECONDS = 15.0


def step_times(graphql: GraphQL, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step of a finished run: when it started and ended (epoch seconds, from its events)."""
    stats = graphql(STEP_STATS, id=run_id)["runOrError"]["stepStats"]
    assert all(s["status"] == "SUCCESS" for s in stats), stats
    return {s["stepKey"]: (s["startTime"], s["endTime"]) for s in stats}


def test_webserver_lists_graph_and_runs_a_materialization(
    sandbox_environ: dict, fresh_sandbox: Sandbox, world: World, tmp_path: Path
) -> None:
    """GraphQL lists every asset with renders → assets_by_render, and a launched run loads rows."""
    warehouse = tmp_path / "ui.duckdb"
    env = {
        **sandbox_environ,
        "DAGSTER_HOME": str(instance_home(tmp_path / "home")),
        "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
    }
    with serve_ui([bin_path("dagster-webserver")], env, tmp_path / "webserver.log") as graphql:
        nodes = graphql(ASSET_NODES)["assetNodes"]
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert {"picsart/balance", "shotstack/renders", "shotstack/assets_by_render"} <= keys
        assert len([k for k in keys if k.split("/")[0] in ("picsart", "shotstack")]) == 12
        deps = {
            "/".join(n["assetKey"]["path"]): ["/".join(d["path"]) for d in n["dependencyKeys"]] for n in nodes
        }
        assert deps["shotstack/assets_by_render"] == ["shotstack/renders"]

        run_id = graphql.launch([["shotstack", "renders"], ["shotstack", "templates"]])
        assert graphql.wait_for_run(run_id) == "SUCCESS", (tmp_path / "webserver.log").read_text()[-3000:]
    assert count(str(warehouse), "shotstack_data.renders") == len(world.render_ids("v1"))
    assert count(str(warehouse), "shotstack_data.templates") == len(world.templates["v1"])
    assert fresh_sandbox.counts["shotstack.render_get"] == len(world.render_ids("v1"))


def test_two_runs_at_once_share_the_duckdb_file(
    sandbox_environ: dict, fresh_sandbox: Sandbox, world: World, tmp_path: Path
) -> None:
    """Under `dagster dev`, two runs at once both succeed, one dlt step after the other: the
    duckdb_writers pool's one slot keeps the second run queued until the first ends.

    Success alone would not show it, since a load also waits out the DuckDB file lock. So the test
    holds that lock while the first step runs, and lets go only once the second run has stayed
    queued through several of the daemon's dequeue passes (or, with no pool, started its step);
    the two steps' times then must not overlap.
    """
    warehouse = tmp_path / "both.duckdb"
    env = {
        **sandbox_environ,
        "DAGSTER_HOME": str(instance_home(tmp_path / "home", "QueuedRunCoordinator")),
        "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
    }
    with serve_ui([bin_path("dagster"), "dev"], env, tmp_path / "dagster-dev.log") as graphql:
        holder = duckdb.connect(str(warehouse))  # like a notebook writing to the file
        try:
            picsart = graphql.launch([["picsart", "effects"], ["picsart", "genai_models"]])
            graphql.wait_for_event(picsart, step_started("picsart"))
            shotstack = graphql.launch([["shotstack", "renders"], ["shotstack", "templates"]])
            held_until = time.monotonic() + HOLD_SECONDS
            while time.monotonic() < held_until and not any(
                POOL_BLOCKED in (e.get("message") or "") or step_started("shotstack")(e)
                for e in graphql.events(shotstack)
            ):
                time.sleep(0.5)
            waited_as = graphql.status(shotstack)
        finally:
            holder.close()
        statuses = [graphql.wait_for_run(picsart), graphql.wait_for_run(shotstack)]
        assert statuses == ["SUCCESS", "SUCCESS"], (tmp_path / "dagster-dev.log").read_text()[-3000:]
        times = {**step_times(graphql, picsart), **step_times(graphql, shotstack)}
    assert waited_as == "QUEUED", "the second run waits in the queue, with no process of its own"
    steps = {key: times[key] for key in ("picsart", "shotstack")}  # the dlt steps; checks run apart
    first, second = sorted(steps.values())
    assert first[1] <= second[0], f"the dlt steps overlap: {steps}"
    assert count(str(warehouse), "picsart_data.genai_models") == len(world.picsart.models)
    assert count(str(warehouse), "shotstack_data.renders") == len(world.render_ids("v1"))


LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"


def test_dg_dev_and_dagster_dev_load_the_same_location(tmp_path: Path) -> None:
    """Both commands name the location `media_assets`, whatever the checkout's folder is called.

    Sensor cursors and schedule state are kept per location name: under another name, the sensors
    would start without their cursors and launch runs again for renders already handled.
    """
    names = {}
    for tool, workspace in (("dagster", True), ("dg", False)):
        env = {"DAGSTER_HOME": str(instance_home(tmp_path / tool)), "NO_COLOR": "1"}
        with serve_ui([bin_path(tool), "dev"], env, tmp_path / f"{tool}.log", workspace=workspace) as graphql:
            entries = graphql(LOCATIONS)["workspaceOrError"]["locationEntries"]
            names[tool] = [entry["name"] for entry in entries]
    assert names == {"dagster": ["media_assets"], "dg": ["media_assets"]}
