"""Test helpers: materialize the real dlt assets into a temp warehouse and read it back."""

from collections.abc import Sequence

import dagster as dg
import duckdb

from media_assets.defs.resources import build_resources
from media_assets.local.sandbox_env import demo_query
from media_assets.sandbox import World

from .location import dlt_assets


def materialize(
    warehouse: str,
    instance: dg.DagsterInstance,
    selection: Sequence[str] | dg.AssetSelection | None = None,
    raise_on_error: bool = True,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the location's dlt assets: all, or a selection (key strings or an AssetSelection)."""
    return dg.materialize(
        dlt_assets(),
        resources=build_resources(warehouse),
        instance=instance,
        selection=selection if isinstance(selection, dg.AssetSelection) or not selection else list(selection),
        raise_on_error=raise_on_error,
        run_config=run_config,
    )


def rows(warehouse: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def count(warehouse: str, table: str) -> int:
    return rows(warehouse, f"select count(*) from {table}")[0][0]


def table_exists(warehouse: str, schema: str, table: str) -> bool:
    found = rows(
        warehouse,
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        (schema, table),
    )
    return found[0][0] == 1


def expected_counts(world: World, version: str = "v1") -> dict[str, int]:
    """Rows each table must hold after one load, computed from the world, not the warehouse."""
    return {
        "picsart_data.balance": 1,
        "picsart_data.effects": len(world.picsart.effects),
        "picsart_data.ai_effects": len(world.picsart.ai_effects),
        "picsart_data.image_search": len(world.picsart.search(demo_query(world))),
        "picsart_data.image_trending": len(world.picsart.trending),
        "picsart_data.video_tools_info": 1,
        "picsart_data.genai_models": len(world.picsart.models),
        "shotstack_data.renders": len(world.render_ids(version)),
        "shotstack_data.assets": 3,
        "shotstack_data.templates": len(world.templates[version]),
        "shotstack_data.ingest_sources": len(world.sources[version]),
    }
