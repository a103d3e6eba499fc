"""A deployment's parts as separate processes on PostgreSQL: 100 render callbacks to summaries, no human.

A real PostgreSQL server holds Dagster's storage (deploy/dagster.yaml), the warehouse and the
inbox table. The code server, dagster-webserver, dagster-daemon and the webhook receiver each run
as their own process; the sandbox plays Shotstack and calls the receiver as each render finishes.
"""

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import yaml

from media_assets.lib.postgres import ENV
from media_assets.lib.settings import env_name
from media_assets.lib.warehouse import LOCK_CONFLICT, Warehouse
from media_assets.local.receiver import CALLBACK_PATH
from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Render, Sandbox, World
from media_assets.sandbox.world import make_assets

from .helpers import ROOT
from .helpers import postgres as pg
from .helpers.processes import stop_group
from .helpers.sandbox_world import NOW, edit
from .helpers.usage_world import render_id
from .helpers.webserver import FAST_MONITORING, bin_path, free_port, serve_ui

RENDERS = 100
# Shotstack answers slowly here, and renders finish over two minutes: each lookup or files run
# outlasts a sensor tick, runs queue for the Shotstack pool while callbacks keep arriving, and the
# summary run the automation sensor starts after a load is dequeued beside the next load. With
# instant answers and renders finishing within 40 s, every run took about 2 s, ticks came 10-15 s
# apart, and whether two runs overlapped was luck (CI once saw none).
SLOW_ANSWER_SECONDS = 8.0
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
RUN = "runId jobName status startTime endTime tags { key value }"
RUNS = "{ runsOrError { ... on Runs { results { " + RUN + " } } } }"


def world() -> World:
    """RENDERS renders finishing over about two minutes from a few seconds after the sandbox starts."""
    made = World()
    for n in range(RENDERS):
        render = Render(
            id=render_id(n + 1),
            version="v1",
            edit=edit(length=10 + n % 7),
            created=NOW,
            ready_at=NOW + timedelta(seconds=5 + n * 1.2),
            final_status="done",
            render_time_ms=4000 + n,
        )
        made.renders.append(render)
        made.assets.extend(make_assets(render, made.rng))
    return made


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A child process in its own session, stopped with its children on the way out."""
    with open(log, "w") as out:
        child = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield child
        finally:
            stop_group(child)


def wait_for_port(port: int, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise TimeoutError(log.read_text()[-3000:])


def launcher(run: dict) -> str | None:
    """The sensor or schedule that launched a run, from its tags; None for one launched by hand."""
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    return tags.get("dagster/sensor_name") or tags.get("dagster/schedule_name")


def figures(warehouse: Warehouse) -> tuple[int, int, int, int, tuple | None]:
    """Render rows, distinct ids, file rows, distinct file ids and the overall summary row, so far."""
    try:
        with warehouse.get_connection() as con:
            renders = con.execute(
                "select count(*), count(distinct id) from shotstack_data.renders"
            ).fetchone()
            files = con.execute(
                "select count(*), count(distinct id) from shotstack_data.assets_by_render"
            ).fetchone()
            usage = con.execute(
                "select renders_done, hosted_assets from usage.render_usage_summary where version = 'all'"
            ).fetchone()
    except Exception:  # tables not created yet
        return 0, 0, 0, 0, None
    return (*renders, *files, usage)


def test_every_part_in_its_own_process_loads_each_render_and_file_once(
    tmp_path: Path, postgres: pg.Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 callbacks become exactly 100 render rows and one row per hosted file, the summary says
    so, the daemon's sensors launched every run, each succeeded, runs overlapped, and nothing met
    a lock.

    The sensors' Shotstack runs take turns (they share the shotstack_pipeline pool: one dlt
    pipeline's state); the automation sensor's summary runs go beside them."""
    made = world()
    expected_files = len(made.assets)
    storage = postgres.create_database("e2e_dagster").rsplit("/", 1)[1]
    warehouse_url = postgres.create_database("e2e_warehouse")
    home = tmp_path / "home"
    home.mkdir()
    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    config["run_monitoring"] = {**config["run_monitoring"], **FAST_MONITORING}
    # the queue looks every second (5 by default): a summary and the next load leave it together
    config["run_coordinator"]["config"] = {"dequeue_interval_seconds": 1}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    code_port, receiver_port = free_port(), free_port()
    workspace = tmp_path / "workspace.yaml"
    shutil.copy(ROOT / "deploy" / "workspace.yaml", workspace)
    workspace.write_text(workspace.read_text().replace("port: 4000", f"port: {code_port}"))
    callback_url = f"http://127.0.0.1:{receiver_port}{CALLBACK_PATH}"
    # the clock stands still until every part is up, then the test moves it: no callback is sent
    # before the receiver listens
    sandbox = Sandbox(made, callback_url=callback_url, clock_speed=0.0)
    for endpoint in ("shotstack.render_get", "shotstack.assets_by_render"):
        sandbox.set_latency(SLOW_ANSWER_SECONDS, endpoint)
    with ExitStack() as stack:
        stack.enter_context(sandbox.serve())
        env = {
            **os.environ,
            **sandbox_env(sandbox, made),
            "SOURCES__SHOTSTACK_SOURCE__RENDER_IDS": "[]",
            "SOURCES__SHOTSTACK_SOURCE__ASSET_IDS": "[]",
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(postgres.port),
            "DAGSTER_PG_DB": storage,
            "DAGSTER_PG_USERNAME": pg.ROLE,
            "DAGSTER_PG_PASSWORD": postgres.password,
            env_name("warehouse"): "postgres",
            env_name("inbox"): "table",
            ENV: warehouse_url,
        }
        subprocess.run([bin_path("dagster"), "instance", "migrate"], env=env, check=True, capture_output=True)
        code = [bin_path("dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(code_port)]
        code += ["-m", "media_assets.definitions", "--location-name", "media_assets"]
        stack.enter_context(process(code, env, tmp_path / "code-server.log"))
        receiver = [bin_path("media-assets"), "callbacks", "--port", str(receiver_port)]
        stack.enter_context(process(receiver, env, tmp_path / "receiver.log"))
        wait_for_port(receiver_port, tmp_path / "receiver.log")
        daemon = [bin_path("dagster-daemon"), "run", "-w", str(workspace)]
        stack.enter_context(process(daemon, env, tmp_path / "daemon.log"))
        ui = [bin_path("dagster-webserver"), "-w", str(workspace)]
        graphql = stack.enter_context(serve_ui(ui, env, tmp_path / "webserver.log", workspace=False))
        graphql.wait_for_location()
        monkeypatch.setenv(ENV, warehouse_url)
        warehouse = Warehouse(engine="postgres")
        deadline = time.monotonic() + 700
        found, runs = figures(warehouse), []
        while time.monotonic() < deadline:
            sandbox.clock.advance(1.0)
            found = figures(warehouse)
            if found == (RENDERS, RENDERS, expected_files, expected_files, (RENDERS, expected_files)):
                break
            time.sleep(1)
        while time.monotonic() < deadline:
            runs = graphql(RUNS)["runsOrError"]["results"]
            if all(run["status"] in FINISHED for run in runs):
                break
            time.sleep(1)
        logged = [e["message"] or "" for run in runs for e in graphql.events(run["runId"])]
    logs = {path.name: path.read_text() for path in tmp_path.glob("*.log")}
    assert found == (RENDERS, RENDERS, expected_files, expected_files, (RENDERS, expected_files)), (
        found,
        logs["daemon.log"][-3000:],
    )
    assert [run for run in runs if run["status"] != "SUCCESS"] == []
    launched_by = [launcher(run) for run in runs]
    assert None not in launched_by, "the daemon launched every run"
    assert {"render_inbox_sensor", "finished_renders_sensor", "usage_automation_sensor"} <= set(launched_by)
    spans = sorted((run["startTime"], run["endTime"], launcher(run)) for run in runs)
    overlapping = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert overlapping, f"no two runs overlapped: {spans}"
    assert not [name for name, text in logs.items() if LOCK_CONFLICT in text or "deadlock" in text]
    assert not [m for m in logged if LOCK_CONFLICT in m or "deadlock" in m]
    assert postgres.password not in "".join(logs.values())
