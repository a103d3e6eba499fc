"""`media-assets demo --days`: weeks of simulated time give the summaries, checks and plots a history."""

import itertools
import subprocess
from datetime import timedelta

import dagster as dg
import duckdb
from dagster._core.instance.ref import InstanceRef

from .helpers.history import DAYS, HistoryDemo
from .helpers.webserver import bin_path


def query(demo: HistoryDemo, sql: str) -> list[tuple]:
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_balance_is_read_every_hour_of_the_history(history_demo: HistoryDemo) -> None:
    """One snapshot an hour for every day played, each the world's balance at that hour."""
    readings = query(history_demo, "select taken_at, credits from picsart_data.balance order by taken_at")
    assert len(readings) == 24 * DAYS
    assert {b - a for (a, _), (b, _) in itertools.pairwise(readings)} == {timedelta(hours=1)}
    assert [credits for _, credits in readings] == [
        history_demo.world.picsart.credits_at(taken_at) for taken_at, _ in readings
    ]


def test_summaries_forecast_a_run_out_date(history_demo: HistoryDemo) -> None:
    """Every day spends credits, so the newest day has a 7-day burn and a runway; renders finished and
    failed on several days."""
    ((burn, left),) = query(
        history_demo,
        "select avg_burn_7d, days_of_credit_left from usage.credit_balance_daily order by day desc limit 1",
    )
    assert burn > 0 and left > 0
    days = query(
        history_demo,
        "select count(distinct day), sum(renders_done), sum(renders_failed) from usage.render_usage_daily",
    )
    created = {r.created.date() for r in history_demo.world.renders}
    assert days[0][0] == len(created) >= DAYS
    world_done = sum(r.final_status == "done" for r in history_demo.world.renders)
    assert days[0][1] == world_done


def test_the_ui_plots_runway_over_several_materializations(history_demo: HistoryDemo) -> None:
    """Each played day materialized the summary, so `credits_remaining` and `days_of_credit_left` have
    a point per day, none null, and the runway check judged a real day."""
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(history_demo.home))) as instance:
        events = instance.fetch_materializations(dg.AssetKey(["usage", "credit_balance_daily"]), limit=50)
        metadata = [record.asset_materialization.metadata for record in events.records]
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["usage", "credit_balance_daily"]), "credit_runway_above_minimum"),
            limit=50,
        )
    assert len(metadata) == DAYS
    for figures in metadata:
        assert figures["credits_remaining"].value > 0
        assert figures["days_of_credit_left"].value > 0
    assert len(checks) == DAYS
    assert f"day {DAYS} of {DAYS}" in history_demo.stdout


def test_history_demo_refuses_a_warehouse_with_readings(history_demo: HistoryDemo) -> None:
    """A second history into the same warehouse would mix two histories: it stops, naming the setting."""
    done = subprocess.run(
        [bin_path("media-assets"), "demo", "--days", "2"],
        cwd=history_demo.folder,
        env=history_demo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "MEDIA_ASSETS__DUCKDB_PATH" in done.stdout and "nothing was changed" in done.stdout
    assert len(query(history_demo, "select * from picsart_data.balance")) == 24 * DAYS
