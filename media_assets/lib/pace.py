"""A run's pacing, from the settings: limits per bucket, workers, time budget, the shared store."""

from collections.abc import Callable
from pathlib import Path

from ..sources.pacing import Pace
from . import project, rate_buckets
from .settings import env_name, rate_limits, setting
from .warehouse import Warehouse

STORE_NAME = "rate_limits.sqlite"


def _positive(name: str, cast: type) -> float:
    value = cast(setting(name))
    if value <= 0:
        raise ValueError(f"[media_assets] {name} is {value}; set a positive number ({env_name(name)})")
    return value


def rate_limit_store(warehouse: Warehouse) -> Path | str:
    """The shared budget: the setting's file, else a file beside the DuckDB warehouse the run loads,
    else, on PostgreSQL, the warehouse itself, so runs on every machine share one limit per key."""
    given = setting("rate_limit_store")
    if given:
        return project.resolve(given)
    return Path(warehouse.database).parent / STORE_NAME if warehouse.is_duckdb else rate_buckets.IN_POSTGRES


def run_pace(api: str, warehouse: Warehouse, report: Callable[[str], None]) -> Pace:
    """`api`'s pacing for one step; the time budget starts now."""
    store = rate_limit_store(warehouse)
    return Pace(
        limits=rate_limits(api),
        window_seconds=_positive("rate_window_seconds", float),
        workers=int(_positive("request_workers", int)),
        run_seconds=_positive("run_seconds", float),
        limiter_for=lambda bucket, limit, window: rate_buckets.limiter(store, bucket, limit, window),
        report=report,
    )
