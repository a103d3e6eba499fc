"""The code location: its asset graph, and that it loads with no keys and no network."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from .helpers import ROOT
from .helpers.location import location

PICSART = [
    "ai_effects",
    "balance",
    "effects",
    "genai_models",
    "image_search",
    "image_trending",
    "video_tools_info",
]
SHOTSTACK = ["assets", "assets_by_render", "ingest_sources", "renders", "templates"]
USAGE = ["credit_balance_daily", "render_usage_daily", "render_usage_summary"]


def test_asset_keys_groups_and_kinds() -> None:
    """Every API resource is one asset `<api>/<resource>` in group `<api>`, kinds dlt and duckdb, with
    a column schema in which every column, dlt's own included, has a description."""
    graph = location().resolve_asset_graph()
    dlt_keys = {k for k in graph.get_all_asset_keys() if k.path[0] in ("picsart", "shotstack")}
    assert dlt_keys == {dg.AssetKey(["picsart", n]) for n in PICSART} | {
        dg.AssetKey(["shotstack", n]) for n in SHOTSTACK
    }
    for key in dlt_keys:
        node = graph.get(key)
        assert node.group_name == key.path[0]
        assert {"dlt", "duckdb"} <= set(node.kinds)
        assert node.description
        schema = node.metadata.get("dagster/column_schema")
        assert isinstance(schema, dg.TableSchema)
        assert {"_dlt_id", "_dlt_load_id"} <= {c.name for c in schema.columns}
        assert all(c.description and c.description.strip() for c in schema.columns), key


def test_renders_to_assets_by_render_is_the_only_dlt_edge() -> None:
    """`assets_by_render` depends on `renders`; no other dlt asset has an upstream."""
    graph = location().resolve_asset_graph()
    edges = {
        (parent.to_user_string(), key.to_user_string())
        for key in graph.get_all_asset_keys()
        if key.path[0] in ("picsart", "shotstack")
        for parent in graph.get(key).parent_keys
    }
    assert edges == {("shotstack/renders", "shotstack/assets_by_render")}


LOAD_OFFLINE = """
import builtins, io, socket
def refuse(*args, **kwargs):
    raise AssertionError("the code location touched the network")
socket.socket.connect = refuse
socket.create_connection = refuse
opened = []
real_open = builtins.open
def recording_open(file, *args, **kwargs):
    opened.append(str(file))
    return real_open(file, *args, **kwargs)
builtins.open = io.open = recording_open
from media_assets.definitions import defs
settings = (".dlt", ".toml", ".yaml", ".duckdb")
print("read at import:", [f for f in opened if any(mark in f for mark in settings)])
loaded = defs()
print("read at load:", [f for f in opened if any(mark in f for mark in settings)])
print(len(loaded.resolve_asset_graph().get_all_asset_keys()))
"""


def test_location_loads_with_empty_environment(tmp_path: Path) -> None:
    """No keys, no network, and no file read at import or written at load: the definitions still load.

    Only loading the definitions reads the project's settings; dlt's folders stay untouched until a run.
    """
    data = tmp_path / "dlt"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DLT_DATA_DIR": str(data)}
    done = subprocess.run(
        [sys.executable, "-c", LOAD_OFFLINE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert "read at import: []" in lines
    assert any(line.startswith("read at load:") and "config.toml" in line for line in lines), lines
    assert int(lines[-1]) == len(PICSART) + len(SHOTSTACK) + len(USAGE)
    assert not data.exists(), "loading the definitions wrote into dlt's data folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "loading the definitions wrote a file"


def test_dg_lists_the_definitions() -> None:
    """`dg list defs` loads the location through [tool.dg] in pyproject.toml, and with the venv
    activated, as the README says, dg does not warn that it is not the project's."""
    dg_cli = os.path.join(os.path.dirname(sys.executable), "dg")
    done = subprocess.run(
        [dg_cli, "list", "defs", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "VIRTUAL_ENV": str(ROOT / ".venv")},
    )
    assert done.returncode == 0, done.stderr
    assert "does not match the virtual environment" not in done.stdout + done.stderr
    assert "shotstack/assets_by_render" in done.stdout
    assert "picsart/balance" in done.stdout


def test_tracking_and_usage_automation_start_running() -> None:
    """The render sensors and the usage automation sensor run by default in `dagster dev`."""
    running = {s.name for s in location().sensors if s.default_status == dg.DefaultSensorStatus.RUNNING}
    assert running == {"render_inbox_sensor", "finished_renders_sensor", "usage_automation_sensor"}


def _keys(job_name: str) -> set[str]:
    job = location().resolve_job_def(job_name)
    return {key.to_user_string() for key in job.asset_layer.selected_asset_keys}


def test_jobs_select_what_their_automation_promises() -> None:
    """Each job behind a sensor or schedule selects exactly the assets the README says it refreshes."""
    assert _keys("track_renders") == {"shotstack/renders"}
    assert _keys("refresh_renders") == {"shotstack/renders", "shotstack/assets_by_render"}
    assert _keys("fetch_render_files") == {
        "shotstack/assets_by_render",
        "usage/render_usage_daily",
        "usage/render_usage_summary",
    }
    assert _keys("refresh_balance") == {"picsart/balance"}
    assert _keys("refresh_catalogue") == {
        "shotstack/templates",
        "shotstack/ingest_sources",
        "picsart/effects",
        "picsart/ai_effects",
    }


AUTOMATION_STATUSES = """
from media_assets.definitions import defs
loaded = defs()
for item in [*loaded.sensors, *loaded.schedules]:
    print(item.name, item.default_status.value)
"""


def test_automation_off_starts_every_sensor_and_schedule_stopped(tmp_path) -> None:
    """`[media_assets] automation = "off"` (here through its environment variable) stops them all."""
    env = {**os.environ, "MEDIA_ASSETS__AUTOMATION": "off", "DLT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", AUTOMATION_STATUSES], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    statuses = dict(line.split() for line in done.stdout.strip().splitlines())
    assert len(statuses) == 6
    assert set(statuses.values()) == {"STOPPED"}
