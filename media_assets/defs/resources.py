"""Resources declared once, by short keys: the warehouse, dlt's runner and the usage thresholds."""

import dagster as dg
from dagster_dlt import DagsterDltResource

from ..lib.settings import duckdb_path, usage_thresholds, warehouse_engine
from ..lib.warehouse import Warehouse


def build_resources(database: str | None = None, engine: str | None = None) -> dict[str, object]:
    """The resources every asset of this location asks for; `database` and `engine` override the settings.

    `[media_assets] warehouse` picks the engine for the loads, the summaries and the checks at once.
    """
    return {
        "warehouse": Warehouse(engine=engine or warehouse_engine(), database=database or str(duckdb_path())),
        "dlt": DagsterDltResource(),
        "usage_thresholds": usage_thresholds(),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
