"""Resources declared once: the DuckDB warehouse file that dlt loads and the SQL assets read."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dlt import DagsterDltResource
from dagster_duckdb import DuckDBResource

from .settings import duckdb_path, usage_thresholds
from .warehouse_lock import retry_while_locked

# runs that write the DuckDB file share this pool; dagster_home/dagster.yaml gives it one slot
DUCKDB_WRITERS_POOL = "duckdb_writers"


def ensure_parent_dir(database: str) -> str:
    """Create the warehouse's folder on first use, so a fresh clone needs no setup step."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return database


class Warehouse(DuckDBResource):
    """The DuckDB resource, waiting out other processes' holds on the file as the dlt loads do."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        config = {"custom_user_agent": "media-assets", **self.connection_config}
        con = retry_while_locked(
            lambda: duckdb.connect(ensure_parent_dir(self.database), read_only=False, config=config),
            dg.get_dagster_logger(),
        )
        try:
            yield con
        finally:
            con.close()


class UsageThresholds(dg.ConfigurableResource):
    """Limits the usage checks judge against, from [media_assets.usage_thresholds] (see settings.py)."""

    credits_warn_below: int
    credits_error_below: int
    runway_warn_days: float
    snapshot_max_age_hours: float
    max_failure_rate: float


def build_resources(database: str | None = None) -> dict[str, object]:
    """The resources every asset of this location asks for, by their short keys."""
    return {
        "duckdb": Warehouse(database=database or duckdb_path()),
        "dlt": DagsterDltResource(),
        "usage_thresholds": UsageThresholds(**usage_thresholds()),
    }
