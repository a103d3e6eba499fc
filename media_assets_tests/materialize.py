"""Test helpers: materialize the real dlt assets into a temp warehouse and read it back."""

from collections.abc import Sequence

import dagster as dg
import duckdb

from media_assets import ingest
from media_assets.resources import build_resources


def materialize(
    warehouse: str,
    instance: dg.DagsterInstance,
    selection: Sequence[str] | dg.AssetSelection | None = None,
    raise_on_error: bool = True,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the location's dlt assets: all, or a selection (key strings or an AssetSelection)."""
    return dg.materialize(
        ingest.assets,
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
