"""Asset checks on the balance, its forecast and the Shotstack tables; each names the rows it judged."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from ...lib.naming import ASSETS_BY_RENDER, BALANCE, RENDERS
from ...lib.settings import UsageThresholds
from ...lib.warehouse import Warehouse, writers_pool
from . import variants
from .tables import DATASETS, SCHEMA, number, query

# checks open the warehouse too: on DuckDB they run in the writers' pool instead of hitting its lock
WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR
PICSART, SHOTSTACK = DATASETS["picsart"], DATASETS["shotstack"]


def _newest_snapshot(warehouse: Warehouse) -> tuple[datetime, int] | None:
    with warehouse.get_connection() as con:
        return con.execute(
            f"select taken_at, credits from {PICSART}.balance "
            "order by taken_at desc, _dlt_load_id desc limit 1"
        ).fetchone()


def credits_above_floor(warehouse: Warehouse, usage_thresholds: UsageThresholds) -> dg.AssetCheckResult:
    """The newest balance is above the warning floor; under the lower floor it is an error, not a warning."""
    newest = _newest_snapshot(warehouse)
    if newest is None:
        return dg.AssetCheckResult(passed=False, severity=WARN, metadata={"snapshots": 0})
    (taken_at, credits), limits = newest, usage_thresholds
    return dg.AssetCheckResult(
        passed=credits >= limits.credits_warn_below,
        severity=ERROR if credits < limits.credits_error_below else WARN,
        metadata={
            "credits": credits,
            "taken_at": taken_at.isoformat(),
            "warn_below": limits.credits_warn_below,
            "error_below": limits.credits_error_below,
        },
    )


def balance_snapshot_recent(warehouse: Warehouse, usage_thresholds: UsageThresholds) -> dg.AssetCheckResult:
    """The newest balance snapshot is recent, so the credit figures describe today, not a stale past."""
    newest = _newest_snapshot(warehouse)
    if newest is None:
        return dg.AssetCheckResult(passed=False, severity=WARN, metadata={"snapshots": 0})
    age_hours = (datetime.now(UTC) - newest[0]).total_seconds() / 3600
    return dg.AssetCheckResult(
        passed=age_hours <= usage_thresholds.snapshot_max_age_hours,
        severity=WARN,
        metadata={
            "age_hours": round(age_hours, 3),
            "taken_at": newest[0].isoformat(),
            "max_age_hours": usage_thresholds.snapshot_max_age_hours,
        },
    )


def credit_runway_above_minimum(
    warehouse: Warehouse, usage_thresholds: UsageThresholds
) -> dg.AssetCheckResult:
    """At the 7-day burn, credits last at least the minimum runway; no spend at all means no forecast."""
    with warehouse.get_connection() as con:
        row = con.execute(
            f"select day, days_of_credit_left, avg_burn_7d from {SCHEMA}.credit_balance_daily "
            "order by day desc limit 1"
        ).fetchone()
    day, days_left, burn = row if row else (None, None, None)
    minimum = usage_thresholds.runway_warn_days
    return dg.AssetCheckResult(
        passed=days_left is None or days_left >= minimum,
        severity=WARN,
        metadata={
            "days_of_credit_left": number(days_left),
            "avg_burn_7d": number(burn),
            # no row: no balance snapshot loaded yet, so no day to judge
            "day": dg.MetadataValue.text(str(day)) if day else dg.MetadataValue.null(),
            "runway_warn_days": minimum,
        },
    )


def render_ids_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Each render appears once, so counts and minutes are not inflated by a repeated row."""
    with warehouse.get_connection() as con:
        repeated = con.execute(
            f"select id from {SHOTSTACK}.renders group by id having count(*) > 1 order by id"
        ).fetchall()
    ids = [r[0] for r in repeated]
    return dg.AssetCheckResult(
        passed=not ids, metadata={"repeated_ids": len(ids), "ids": dg.MetadataValue.json(ids)}
    )


def hosted_assets_have_render(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Every hosted file belongs to a loaded render, or the daily summaries cannot count it."""
    with warehouse.get_connection() as con:
        orphans = con.execute(
            f"select a.id, a.render_id from {SHOTSTACK}.assets_by_render a "
            f"left join {SHOTSTACK}.renders r on r.id = a.render_id where r.id is null order by a.id"
        ).fetchall()
    return dg.AssetCheckResult(
        passed=not orphans,
        metadata={
            "orphan_assets": len(orphans),
            "orphans": dg.MetadataValue.json([{"id": a, "render_id": r} for a, r in orphans]),
        },
    )


def render_failure_rate_below_limit(
    warehouse: Warehouse, usage_thresholds: UsageThresholds
) -> dg.AssetCheckResult:
    """Of the renders created in the last 24 hours that finished, few failed."""
    since = datetime.now(UTC) - timedelta(days=1)
    with warehouse.get_connection() as con:
        (last_day,) = query(con, "render_failures_last_day", [since]).records()
    rate, limit = last_day["failure_rate"], usage_thresholds.max_failure_rate
    return dg.AssetCheckResult(
        passed=rate is None or rate <= limit,
        severity=WARN,
        metadata={
            "failure_rate": number(rate),
            "renders_finished": last_day["renders_finished"],
            "failed_ids": dg.MetadataValue.json(last_day["failed_ids"] or []),
            "max_failure_rate": limit,
        },
    )


def _typed_as_declared(key: dg.AssetKey, pool: str | None) -> dg.AssetChecksDefinition:
    """A blocking ERROR when a field the summaries read holds values dlt could not store in its type."""

    @dg.asset_check(asset=key, name=f"{key.path[-1]}_typed_as_declared", pool=pool, blocking=True)
    def typed_as_declared(warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.get_connection() as con:
            found = variants.find(con, key)
        return dg.AssetCheckResult(
            passed=not found,
            severity=ERROR,
            description="; ".join(v.describe() for v in found) or None,
            metadata=variants.metadata(found),
        )

    return typed_as_declared


# each check and the asset it judges
ON = {
    credits_above_floor: BALANCE,
    balance_snapshot_recent: BALANCE,
    credit_runway_above_minimum: dg.AssetKey([SCHEMA, "credit_balance_daily"]),
    render_ids_unique: RENDERS,
    hosted_assets_have_render: ASSETS_BY_RENDER,
    render_failure_rate_below_limit: RENDERS,
}


@dg.definitions
def defs() -> dg.Definitions:
    """Built when the location loads, so the pool follows `[media_assets] warehouse`."""
    pool = writers_pool()
    checks = [dg.asset_check(asset=asset, pool=pool)(check) for check, asset in ON.items()]
    # one per raw table the summaries read: the fields they use arrived in the declared types
    checks += [_typed_as_declared(key, pool) for key in variants.READ]
    return dg.Definitions(asset_checks=checks)
