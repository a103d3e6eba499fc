"""Resources declared once, by short keys: the warehouse, dlt's runner and the usage thresholds."""

import dagster as dg
from dagster_dlt import DagsterDltResource

from ..lib.settings import duckdb_path, usage_thresholds
from ..lib.warehouse import Warehouse


def build_resources(database: str | None = None) -> dict[str, object]:
    """The resources every asset of this location asks for; `database` overrides the setting."""
    return {
        "duckdb": Warehouse(database=database or str(duckdb_path())),
        "dlt": DagsterDltResource(),
        "usage_thresholds": usage_thresholds(),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources())
