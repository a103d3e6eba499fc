"""The path a click in the UI takes: a real dagster-webserver, its GraphQL API, a launched run."""

from pathlib import Path

from media_assets.sandbox import Sandbox, World

from .materialize import count
from .webserver import bin_path, instance_home, serve_ui

ASSET_NODES = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"


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
    """Two runs launched together both succeed: the one-slot duckdb_writers pool serializes them."""
    warehouse = tmp_path / "both.duckdb"
    env = {
        **sandbox_environ,
        "DAGSTER_HOME": str(instance_home(tmp_path / "home")),
        "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
    }
    fresh_sandbox.set_latency(0.05)  # long enough loads that the two would overlap
    with serve_ui([bin_path("dagster-webserver")], env, tmp_path / "webserver.log") as graphql:
        picsart = graphql.launch([["picsart", "effects"], ["picsart", "genai_models"]])
        shotstack = graphql.launch([["shotstack", "renders"], ["shotstack", "templates"]])
        statuses = [graphql.wait_for_run(picsart), graphql.wait_for_run(shotstack)]
    assert statuses == ["SUCCESS", "SUCCESS"], (tmp_path / "webserver.log").read_text()[-3000:]
    assert count(str(warehouse), "picsart_data.genai_models") == len(world.picsart.models)
    assert count(str(warehouse), "shotstack_data.renders") == len(world.render_ids("v1"))
