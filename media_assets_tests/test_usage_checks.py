"""Each usage check passes on a world made to pass it and fails, at its severity, on one made to fail it."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest

from media_assets.defs.resources import build_resources
from media_assets.sandbox import Sandbox

from .helpers import location
from .helpers.usage_world import (
    EVERYTHING,
    LIMITS,
    RENDER_LOADS,
    check,
    healthy_renders,
    load_renders,
    point_at,
    real_now,
    render,
    run,
    value,
    world,
)

WARN, ERROR = dg.AssetCheckSeverity.WARN, dg.AssetCheckSeverity.ERROR
NOON = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
BALANCE = ["picsart/balance"]


def test_credits_above_floor_passes_then_warns_then_errors(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5000 credits pass, 500 (under the warning floor) warn, 100 (under the error floor) error."""
    sb = Sandbox(world(real_now(), balance=[5000, 500, 100]))
    with sb.serve():
        point_at(sb, monkeypatch)
        seen = [check(run(warehouse, instance, BALANCE, LIMITS), "credits_above_floor") for _ in range(3)]
    assert [e.passed for e in seen] == [True, False, False]
    assert [e.severity for e in seen[1:]] == [WARN, ERROR]
    assert [value(e, "credits") for e in seen] == [5000, 500, 100]


def test_balance_snapshot_recent_warns_on_a_three_hour_old_reading(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot the server stamped 3 hours ago warns; once the clock catches up, a new one passes."""
    sb = Sandbox(world(real_now() - timedelta(hours=3), balance=[5000]))
    with sb.serve():
        point_at(sb, monkeypatch)
        stale = check(run(warehouse, instance, BALANCE, LIMITS), "balance_snapshot_recent")
        sb.clock.advance(3 * 3600)
        fresh = check(run(warehouse, instance, BALANCE, LIMITS), "balance_snapshot_recent")
    assert (stale.passed, stale.severity) == (False, WARN)
    assert 2.9 < value(stale, "age_hours") < 3.1
    assert fresh.passed
    assert value(fresh, "age_hours") < 0.1


def test_credit_runway_above_minimum_follows_the_burn(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No spend yet passes with no forecast; 900 left at 100/day passes; 300 left at 700/day warns."""
    sb = Sandbox(world(NOON, balance=[1000, 900, 300]))
    both = [*BALANCE, "usage/credit_balance_daily"]
    with sb.serve():
        point_at(sb, monkeypatch)
        seen = [
            check(run(warehouse, instance, both, LIMITS), "credit_runway_above_minimum") for _ in range(3)
        ]
    assert [e.passed for e in seen] == [True, True, False]
    assert seen[2].severity == WARN
    assert [value(e, "days_of_credit_left") for e in seen] == [None, 900 / 100, 300 / 700]


def test_render_checks_pass_on_a_healthy_world(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unique ids, no orphan files, and failures older than a day do not count against the rate."""
    sb = Sandbox(world(real_now(), renders=healthy_renders(real_now())))
    with sb.serve():
        point_at(sb, monkeypatch)
        load = run(warehouse, instance, RENDER_LOADS, LIMITS)
    unique, owned = check(load, "render_ids_unique"), check(load, "hosted_assets_have_render")
    rate = check(load, "render_failure_rate_below_limit")
    assert (unique.passed, value(unique, "repeated_ids")) == (True, 0)
    assert (owned.passed, value(owned, "orphan_assets")) == (True, 0)
    assert (rate.passed, value(rate, "failure_rate"), value(rate, "renders_finished")) == (True, 0.0, 3)


def test_render_failure_rate_warns_when_half_of_the_last_day_failed(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two of four renders of the last day failed: 0.5 is over the 0.2 limit, and the failures are named."""
    now = real_now()
    renders = [
        render(1, "v1", now - timedelta(hours=4), 30, 10),
        render(2, "v1", now - timedelta(hours=3), 30, 10, "failed"),
        render(3, "v1", now - timedelta(hours=2), 30, 10, "failed"),
        render(4, "stage", now - timedelta(hours=1), 30, 10),
    ]
    sb = Sandbox(world(now, renders=renders))
    with sb.serve():
        load_renders(sb, monkeypatch, warehouse, instance)
        only_rate = dg.AssetSelection.checks(location.check("render_failure_rate_below_limit"))
        result = run(warehouse, instance, only_rate, LIMITS)
    rate = check(result, "render_failure_rate_below_limit")
    assert (rate.passed, rate.severity) == (False, WARN)
    assert value(rate, "failure_rate") == 0.5
    assert value(rate, "failed_ids") == [renders[1].id, renders[2].id]


# a correct load merges on id, so it can neither repeat a render nor orphan a file: the damage
# stands for an append-mode reload or a hand edit, and each check must name the row it found
REPEAT = "insert into shotstack_data.renders select * from shotstack_data.renders where id = $id"
ORPHAN = "delete from shotstack_data.renders where id = $id"
DAMAGE = {
    "render_ids_unique": (REPEAT, "repeated_ids", "ids"),
    "hosted_assets_have_render": (ORPHAN, "orphan_assets", "orphans"),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_render_integrity_checks_fail_on_a_damaged_warehouse(
    name: str, warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a healthy load, one repeated render row or one orphaned file fails its check as an error."""
    sql, judged, named = DAMAGE[name]
    now = real_now()
    renders = healthy_renders(now)
    sb = Sandbox(world(now, renders=renders))
    with sb.serve():
        point_at(sb, monkeypatch)
        run(warehouse, instance, RENDER_LOADS, LIMITS)
    with duckdb.connect(warehouse) as con:
        con.execute(sql, {"id": renders[0].id})
    checks = dg.AssetSelection.checks(
        location.check("render_ids_unique"), location.check("hosted_assets_have_render")
    )
    failed = check(run(warehouse, instance, checks, LIMITS), name)
    assert (failed.passed, failed.severity) == (False, ERROR)
    assert value(failed, judged) == 1
    assert renders[0].id in str(value(failed, named))


def test_first_run_before_any_render_is_tracked_succeeds_with_empty_tables(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default config tracks no render yet: the refresh, summaries and checks still succeed, empty."""
    sb = Sandbox(world(real_now(), balance=[5000]))
    with sb.serve():
        point_at(sb, monkeypatch)
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__ASSET_IDS", "[]")
        selection = dg.AssetSelection.groups("shotstack") | dg.AssetSelection.assets(
            ["usage", "render_usage_daily"], ["usage", "render_usage_summary"]
        )
        result = run(warehouse, instance, selection, LIMITS)
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} >= {
        "render_ids_unique",
        "hosted_assets_have_render",
        "render_failure_rate_below_limit",
    }
    assert all(e.passed for e in evaluations if e.asset_key.path[0] == "shotstack")
    with duckdb.connect(warehouse, read_only=True) as con:
        for table in ("renders", "renders_not_found", "assets_by_render", "assets"):
            assert con.execute(f"select count(*) from shotstack_data.{table}").fetchone()[0] == 0
        assert con.execute("select count(*) from usage.render_usage_daily").fetchone()[0] == 0


def test_summary_before_its_input_was_ever_loaded_names_the_asset_to_materialize(
    warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A credit summary on an empty warehouse fails saying which asset to materialize first."""
    result = dg.materialize(
        EVERYTHING,
        resources=build_resources(warehouse),
        instance=instance,
        selection=[dg.AssetKey(["usage", "credit_balance_daily"])],
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert "picsart_data.balance" in message and "Materialize picsart/balance first" in message
