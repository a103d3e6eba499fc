"""The usage summaries: SQL assets over the dlt tables, rebuilt in full whenever their inputs change."""

import dagster as dg

from ...lib.naming import ASSETS_BY_RENDER, BALANCE, RENDERS, USAGE_GROUP
from ...lib.schedules import SENSOR_INTERVAL_SECONDS, sensor_status
from ...lib.settings import DUCKDB, warehouse_engine
from ...lib.warehouse import Warehouse, writers_pool
from . import variants
from .tables import number, query, rebuild, table_metadata


def rebuild_condition() -> dg.AutomationCondition:
    """Eager: rebuild once an input is loaded. On DuckDB not while another input is still loading,
    since the run would only queue behind it for the one writer; on PostgreSQL right away, beside
    that load, and again once it lands."""
    eager = dg.AutomationCondition.eager()
    if warehouse_engine() == DUCKDB:
        return eager
    return eager.without(~dg.AutomationCondition.any_deps_in_progress())


def _usage_asset(deps: list[dg.AssetKey]):
    """Shared settings: group and kind, lineage to the raw tables, eager updates, the writers' pool.

    Built when the location loads, so the kind and the pool follow `[media_assets] warehouse`.
    """
    return dg.asset(
        key_prefix=USAGE_GROUP,
        group_name=USAGE_GROUP,
        kinds={warehouse_engine(), "sql"},
        deps=deps,
        automation_condition=rebuild_condition(),
        pool=writers_pool(),
    )


@_usage_asset(deps=[BALANCE])
def credit_balance_daily(warehouse: Warehouse) -> dg.MaterializeResult:
    """Picsart credits per UTC day: spend, top-ups, 7-day burn and the days left before credits run out."""
    with warehouse.get_connection() as con:
        variants.refuse(con, [BALANCE], "credit_balance_daily")
        table = rebuild(con, "credit_balance_daily")
    latest = table.records()[-1] if table.rows else {}
    return dg.MaterializeResult(
        metadata={
            **table_metadata(table),
            "credits_remaining": number(latest.get("closing_credits")),
            "days_of_credit_left": number(latest.get("days_of_credit_left")),
        }
    )


def _render_figures(figures: dict) -> dict[str, dg.MetadataValue]:
    """Output minutes and failure rate as a usage table states them, so the UI can plot them run after run."""
    return {name: number(figures.get(name)) for name in ("minutes_rendered", "failure_rate")}


@_usage_asset(deps=[RENDERS, ASSETS_BY_RENDER])
def render_usage_daily(warehouse: Warehouse) -> dg.MaterializeResult:
    """Shotstack renders per UTC day and API version: outcomes, output minutes, render speed, failures."""
    with warehouse.get_connection() as con:
        variants.refuse(con, [RENDERS, ASSETS_BY_RENDER], "render_usage_daily")
        table = rebuild(con, "render_usage_daily")
        # the figures of the newest day, every version together
        (newest_day,) = query(con, "render_usage_newest_day").records()
    return dg.MaterializeResult(metadata={**table_metadata(table), **_render_figures(newest_day)})


@_usage_asset(deps=[RENDERS, ASSETS_BY_RENDER])
def render_usage_summary(warehouse: Warehouse) -> dg.MaterializeResult:
    """Whole-period Shotstack totals per API version and overall: the figures a dashboard shows first."""
    with warehouse.get_connection() as con:
        variants.refuse(con, [RENDERS, ASSETS_BY_RENDER], "render_usage_summary")
        table = rebuild(con, "render_usage_summary")
    overall = next((r for r in table.records() if r["version"] == "all"), {})
    return dg.MaterializeResult(
        metadata={**table_metadata(table, latest_first=False), **_render_figures(overall)}
    )


@dg.definitions
def defs() -> dg.Definitions:
    # Dagster's default automation sensor starts stopped; this one runs the summaries' conditions
    automation = dg.AutomationConditionSensorDefinition(
        "usage_automation_sensor",
        target=dg.AssetSelection.groups(USAGE_GROUP),
        default_status=sensor_status(),
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    )
    return dg.Definitions(
        assets=[credit_balance_daily, render_usage_daily, render_usage_summary], sensors=[automation]
    )
