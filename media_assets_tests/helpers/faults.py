"""Test helper: a small world served with its clock stopped, the exact rows each table must then
hold (from the world alone), what a warehouse holds, its duplicate keys, and dlt's stored state."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import dagster as dg
import pytest
from dlt.common.versioned_state import decompress_state

from media_assets.lib.naming import PICSART, SHOTSTACK
from media_assets.local.sandbox_env import demo_query, hosted_asset_ids, sandbox_env
from media_assets.sandbox import Sandbox, World, WorldSize
from media_assets.sources.picsart import settings as picsart_settings
from media_assets.sources.shotstack import settings as shotstack_settings

from .location import dlt_assets
from .materialize import rows, table_exists

# small, so a run of every asset takes seconds; pending renders stay pending while the clock is stopped
SMALL = WorldSize(
    renders_v1=5,
    renders_stage=0,
    pending_share=0.2,
    templates=3,
    sources=3,
    images=8,
    trending=5,
    models=4,
    effects=3,
    ai_effects=2,
)
P, S = PICSART.dataset, SHOTSTACK.dataset
# the columns compared per table; each table's primary key comes first
COLUMNS = {
    f"{P}.effects": "name",
    f"{P}.ai_effects": "name",
    f"{P}.image_search": "id, title",
    f"{P}.image_trending": "id, rank",
    f"{P}.video_tools_info": "service, version",
    f"{P}.genai_models": "id, name",
    f"{S}.renders": "id, status, duration, render_time",
    f"{S}.renders_not_found": "id",
    f"{S}.assets_by_render": "id, render_id, status",
    f"{S}.assets": "id, render_id",
    f"{S}.templates": "id, name",
    f"{S}.ingest_sources": "id, status",
}
# every table with a primary key, as the sources declare it (the hand-written resources merge on id)
KEYS = {
    **{f"{P}.{name}": config["primary_key"] for name, config in picsart_settings.RESOURCES.items()},
    **{f"{S}.{name}": config["primary_key"] for name, config in shotstack_settings.RESOURCES.items()},
    f"{S}.renders": "id",
    f"{S}.{shotstack_settings.NOT_FOUND_TABLE}": "id",
    f"{S}.assets_by_render": "id",
}
BALANCE = f"{P}.balance"


@contextmanager
def still_sandbox(world: World | None = None) -> Iterator[Sandbox]:
    """A sandbox serving `world` (a small generated one by default) with its clock stopped, so every
    status is known in advance."""
    sandbox = Sandbox(world or World.generate(seed=11, size=SMALL), clock_speed=0.0)
    with sandbox.serve():
        yield sandbox


def point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, base_url: str | None = None) -> None:
    """Both sources pointed at the sandbox, or at `base_url` standing in front of it (a proxy)."""
    for name, value in sandbox_env(sandbox, sandbox.world).items():
        if base_url and name.endswith("__BASE_URL"):
            value = value.replace(str(sandbox.base_url), base_url)
        monkeypatch.setenv(name, value)


def expected_rows(sandbox: Sandbox) -> dict[str, list[tuple]]:
    """What each table (but the balance) holds once everything has loaded at the stopped clock."""
    world, now = sandbox.world, sandbox.clock.now()
    picsart = world.picsart
    renders = [r for r in world.renders if r.version == "v1"]
    settled = ("done", "failed")
    done = [r.id for r in renders if r.status_at(now) == "done"]
    hosted = [a for i in done for a in world.assets_for(i)]
    looked_up = set(hosted_asset_ids(sandbox, "v1")[:3])
    found: dict[str, list[tuple]] = {
        f"{P}.effects": [(n,) for n in picsart.effects],
        f"{P}.ai_effects": [(n,) for n in picsart.ai_effects],
        f"{P}.image_search": [(i["id"], i["title"]) for i in picsart.search(demo_query(world))],
        f"{P}.image_trending": [(i["id"], i["rank"]) for i in picsart.trending],
        f"{P}.video_tools_info": [(picsart.video_info["service"], picsart.video_info["version"])],
        f"{P}.genai_models": [(m["id"], m["name"]) for m in picsart.models],
        f"{S}.renders": [
            (r.id, r.status_at(now), r.duration, r.render_time_ms if r.status_at(now) in settled else None)
            for r in renders
        ],
        f"{S}.renders_not_found": [],
        f"{S}.assets_by_render": [(a.id, a.render_id, a.status_at(now)) for a in hosted],
        f"{S}.assets": [(a.id, a.render_id) for a in world.assets if a.id in looked_up],
        f"{S}.templates": [(t.id, t.name) for t in world.templates["v1"]],
        f"{S}.ingest_sources": [(s.id, s.status) for s in world.sources["v1"]],
    }
    return {table: sorted(found[table]) for table in COLUMNS}


def balance_rows(sandbox: Sandbox, answered: list[bool] | None = None) -> list[tuple[datetime, int]]:
    """The snapshots, in order: one per balance answer the sandbox gave (or per answer marked True
    in `answered`, when some were lost on the way), each the series' next value at the stopped clock."""
    series = sandbox.world.picsart.balance_series
    answered = [True] * sandbox.balance_calls if answered is None else answered
    now = sandbox.clock.now()
    return [(now, series[min(n, len(series) - 1)]) for n, kept in enumerate(answered) if kept]


def loaded_rows(warehouse: str) -> dict[str, list[tuple]]:
    """What each table holds, in the columns `expected_rows` gives; a table not created holds nothing."""
    found = {}
    for table, columns in COLUMNS.items():
        schema, name = table.split(".")
        exists = table_exists(warehouse, schema, name)
        found[table] = sorted(rows(warehouse, f"select {columns} from {table}")) if exists else []
    return found


def loaded_balance(warehouse: str) -> list[tuple[datetime, int]]:
    if not table_exists(warehouse, P, "balance"):
        return []
    taken = rows(warehouse, f"select taken_at, credits from {BALANCE} order by _dlt_load_id")
    return [(datetime.fromisoformat(str(at)), credits) for at, credits in taken]


def duplicate_keys(warehouse: str) -> dict[str, list[Any]]:
    """Each table's primary-key values that appear in more than one row (none, in a sound warehouse)."""
    found = {}
    for table, key in KEYS.items():
        schema, name = table.split(".")
        if table_exists(warehouse, schema, name):
            found[table] = rows(warehouse, f"select {key} from {table} group by all having count(*) > 1")
    return {table: dups for table, dups in found.items() if dups}


def stored_source_state(warehouse: str) -> dict[str, Any]:
    """The Shotstack source's state as the next run restores it: the newest stored state of a
    completed load."""
    found = rows(
        warehouse,
        f"select s.state from {S}._dlt_pipeline_state s join {S}._dlt_loads l on l.load_id = s._dlt_load_id "
        "where s.pipeline_name = ? and l.status = 0 order by l.load_id desc limit 1",
        (SHOTSTACK.pipeline,),
    )
    return decompress_state(found[0][0])["sources"][SHOTSTACK.source] if found else {}


def failure_text(result: dg.ExecuteInProcessResult) -> str:
    """Every step failure's error, in one text."""
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failures, "the run should have failed"
    return "\n".join(str(e.step_failure_data.error) for e in failures)


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def every_asset() -> set[str]:
    return {key.to_user_string() for a in dlt_assets() for key in a.keys}


def table_of(asset: str) -> str:
    """The table an asset key (`shotstack/templates`) loads."""
    api, resource = asset.split("/")
    return f"{PICSART.dataset if api == 'picsart' else SHOTSTACK.dataset}.{resource}"
