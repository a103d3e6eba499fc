"""End to end with the real daemon: callbacks to the inbox, sensors to runs, rows in DuckDB, no human."""

import json
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Render, Sandbox, World
from media_assets.sandbox.world import make_assets

from .helpers.sandbox_world import NOW, edit
from .helpers.webserver import GraphQL, bin_path, instance_home, receiver, serve_ui

FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
RUNS = "{ runsOrError { ... on Runs { results { jobName status tags { key value } } } } }"
IDS = ("6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e", "7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f")


def finished_world() -> World:
    """Two renders that finish a few seconds after the sandbox starts, each with hosted files."""
    world = World()
    for offset, render_id in enumerate(IDS):
        render = Render(
            id=render_id,
            version="v1",
            edit=edit(length=20 + offset),
            created=NOW,
            ready_at=NOW + timedelta(seconds=5 + offset),
            final_status="done",
            render_time_ms=5000,
        )
        world.renders.append(render)
        world.assets.extend(make_assets(render, world.rng))
    return world


def loaded(warehouse: Path) -> tuple[list[tuple], int, tuple | None]:
    """Renders, hosted-file rows and the overall usage row; nothing while the file is absent or busy."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            renders = con.execute("select id, status from shotstack_data.renders order by id").fetchall()
            files = con.execute("select count(*) from shotstack_data.assets_by_render").fetchone()[0]
            usage = con.execute(
                "select renders_done, hosted_assets from usage.render_usage_summary where version = 'all'"
            ).fetchone()
            return renders, files, usage
    except (duckdb.Error, OSError):
        return [], 0, None


def by_sensors(runs: list[dict]) -> list[tuple[str, str, str]]:
    """(sensor, job, status) of each run a sensor started."""
    return [
        (tags["dagster/sensor_name"], run["jobName"], run["status"])
        for run in runs
        for tags in [{t["key"]: t["value"] for t in run["tags"]}]
        if "dagster/sensor_name" in tags
    ]


def started(graphql: GraphQL) -> set[tuple[str, str]]:
    """(sensor, job) of each run a sensor has started so far."""
    return {(sensor, job) for sensor, job, _ in by_sensors(graphql(RUNS)["runsOrError"]["results"])}


def test_daemon_tracks_renders_from_webhook_to_warehouse(tmp_path: Path) -> None:
    """`dagster dev` alone turns two render callbacks into renders, their hosted files and the summary."""
    world = finished_world()
    expected_files = sum(len(world.assets_for(i)) for i in IDS)
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse.duckdb"
    with receiver(inbox) as callback_url:
        sandbox = Sandbox(world, callback_url=callback_url)
        with sandbox.serve():
            env = {
                **sandbox_env(sandbox, world),
                "SOURCES__SHOTSTACK_SOURCE__RENDER_IDS": json.dumps([]),
                "SOURCES__SHOTSTACK_SOURCE__ASSET_IDS": json.dumps([]),
                "MEDIA_ASSETS__INBOX_DIR": str(inbox),
                "MEDIA_ASSETS__DUCKDB_PATH": str(warehouse),
                "DAGSTER_HOME": str(instance_home(tmp_path / "home", "QueuedRunCoordinator")),
            }
            log = tmp_path / "dagster-dev.log"
            with serve_ui([bin_path("dagster"), "dev"], env, log) as graphql:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    renders, files, usage = loaded(warehouse)
                    # the 10-minute refresh can fetch the files first when its tick falls in this
                    # test; the finished-renders sensor still starts its run, a tick later
                    fetched = ("finished_renders_sensor", "fetch_render_files") in started(graphql)
                    if len(renders) == 2 and usage == (2, expected_files) and fetched:
                        break
                    time.sleep(2)
                # the rows can land before their run reports its end: wait until none is in flight
                while time.monotonic() < deadline + 120:
                    runs = graphql(RUNS)["runsOrError"]["results"]
                    if all(run["status"] in FINISHED for run in runs):
                        break
                    time.sleep(1)
    assert renders == sorted((i, "done") for i in IDS), log.read_text()[-4000:]
    assert files == expected_files, log.read_text()[-4000:]
    assert usage == (2, expected_files), "the usage summary follows the renders and their files"
    assert sandbox.counts["shotstack.render_get"] == 2, "each render looked up once, after it finished"
    by_sensor = {(sensor, job, status) for sensor, job, status in by_sensors(runs)}
    assert ("render_inbox_sensor", "track_renders", "SUCCESS") in by_sensor, runs
    assert ("finished_renders_sensor", "fetch_render_files", "SUCCESS") in by_sensor, runs
