"""The usage summaries hold exactly the figures computed here, in Python, from a scripted world."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from media_assets import ingest, usage
from media_assets.resources import DUCKDB_WRITERS_POOL, build_resources
from media_assets.sandbox import Sandbox

from .materialize import rows
from .usage_world import load_renders, point_at, render, run, world

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
# (hours after T0 the balance is read, credits it answers): day 2 and day 6 have no reading,
# day 3 spends then tops up 3000, day 8 pushes day 1 out of the 7-day window
BALANCE_PLAN = [(0, 5000), (8, 4700), (24, 4400), (72, 3900), (80, 6900), (96, 6500), (120, 6100)]
BALANCE_PLAN += [(168, 5600), (192, 5300)]
LOADED_AT = T0 + timedelta(hours=192)
# (version, created, output seconds, render seconds, final status, hosted files)
RENDER_PLAN = [
    ("v1", T0 + timedelta(hours=1), 30, 12, "done", 2),
    ("v1", T0 + timedelta(hours=2), 60, 20, "done", 1),
    ("v1", T0 + timedelta(hours=3), 45, 8, "failed", 0),
    # created late on day 1, finished (and its file hosted) on day 2
    ("v1", T0 + timedelta(hours=38, minutes=50), 90, 1200, "done", 1),
    # still rendering when Shotstack is read
    ("v1", LOADED_AT - timedelta(minutes=10), 15, 10800, "done", 1),
    ("stage", T0 + timedelta(hours=6), 120, 30, "done", 1),
    ("stage", T0 + timedelta(hours=24, minutes=30), 12, 4, "failed", 0),
    ("stage", T0 + timedelta(hours=25), 24, 6, "done", 1),
]
SUMMARIES = ["usage/credit_balance_daily", "usage/render_usage_daily", "usage/render_usage_summary"]


@dataclass
class Loaded:
    warehouse: str
    requested: set[str]
    requested_again: int
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """Balance read at each planned hour, Shotstack read once per version, then what automation asks."""
    renders = [render(n, v, c, s, r, st) for n, (v, c, s, r, st, _) in enumerate(RENDER_PLAN)]
    files = {n: plan[5] for n, plan in enumerate(RENDER_PLAN)}
    sb = Sandbox(world(T0, [credits for _, credits in BALANCE_PLAN], renders, files))
    warehouse = str(tmp_path_factory.mktemp("usage") / "media_assets.duckdb")
    with sb.serve(), dg.instance_for_test() as instance, pytest.MonkeyPatch.context() as mp:
        graph = dg.Definitions(assets=ingest.assets + usage.assets, resources=build_resources(warehouse))
        # a first tick before any load, as the running automation sensor would have made
        automation = dg.evaluate_automation_conditions(defs=graph, instance=instance)
        point_at(sb, mp)
        for hours, _ in BALANCE_PLAN:
            sb.clock.advance(max(0.0, (T0 + timedelta(hours=hours) - sb.clock.now()).total_seconds()))
            run(warehouse, instance, ["picsart/balance"])
        load_renders(sb, mp, warehouse, instance)
        automation = dg.evaluate_automation_conditions(
            defs=graph, instance=instance, cursor=automation.cursor
        )
        keys = graph.resolve_asset_graph().get_all_asset_keys()
        requested = {key.to_user_string() for key in keys if automation.get_num_requested(key)}
        result = run(warehouse, instance, SUMMARIES)
        again = dg.evaluate_automation_conditions(defs=graph, instance=instance, cursor=automation.cursor)
        yield Loaded(warehouse, requested, again.total_requested, result)


def credit_days() -> list[tuple]:
    """credit_balance_daily from the plan: changes booked on the later reading's day, gaps filled."""
    readings = [((T0 + timedelta(hours=h)).date(), c) for h, c in BALANCE_PLAN]
    expected, spends, previous = [], [], None
    day = readings[0][0]
    while day <= readings[-1][0]:
        todays = [c for d, c in readings if d == day]
        opening = previous if previous is not None else todays[0]
        spent = topped = 0
        for credits in todays:
            if previous is not None:
                spent += max(previous - credits, 0)
                topped += max(credits - previous, 0)
            previous = credits
        spends.append(spent)
        burn = sum(spends[-7:]) / len(spends[-7:])
        expected.append(
            (day, len(todays), opening, previous, spent, topped, burn, previous / burn if burn else None)
        )
        day += timedelta(days=1)
    return expected


def p95(values: list[float]) -> float | None:
    """The 95th percentile: a weighted mean of the two nearest ranks (linear interpolation)."""
    if not values:
        return None
    ordered, position = sorted(values), (len(values) - 1) * 0.95
    low = int(position)
    high, weight = min(low + 1, len(ordered) - 1), position - low
    return ordered[low] * (1 - weight) + ordered[high] * weight


def status_when_loaded(plan: tuple) -> str:
    """A render's status when Shotstack was read: its final one if it had finished by then."""
    _, created, _, render_s, final, _ = plan
    return final if created + timedelta(seconds=render_s) <= LOADED_AT else "rendering"


def render_figures(plan: list[tuple], files: list[tuple]) -> tuple:
    """Counts, minutes, timings, failure rate and hosted files of a set of planned renders."""
    done = [p for p in plan if status_when_loaded(p) == "done"]
    failed = [p for p in plan if status_when_loaded(p) == "failed"]
    seconds = [p[3] for p in done]
    finished = len(done) + len(failed)
    return (
        len(plan),
        len(done),
        len(failed),
        len(plan) - finished,
        sum(p[2] for p in done) / 60,
        sum(seconds) / len(seconds) if seconds else None,
        p95(seconds),
        sum(seconds) / sum(p[2] for p in done) if done else None,
        len(failed) / finished if finished else None,
        len(files),
    )


def hosted_files() -> list[tuple[str, date]]:
    """(version, day created) of each hosted file: created when its render finished."""
    return [
        (p[0], (p[1] + timedelta(seconds=p[3])).date())
        for p in RENDER_PLAN
        for _ in range(p[5])
        if status_when_loaded(p) == "done"
    ]


def render_days() -> list[tuple]:
    keys = {(p[1].date(), p[0]) for p in RENDER_PLAN} | {(d, v) for v, d in hosted_files()}
    expected = []
    for day, version in sorted(keys):
        plan = [p for p in RENDER_PLAN if (p[1].date(), p[0]) == (day, version)]
        expected.append(
            (day, version, *render_figures(plan, [f for f in hosted_files() if f == (version, day)]))
        )
    return expected


def render_summary() -> list[tuple]:
    expected = []
    for version in ("all", "stage", "v1"):
        plan = [p for p in RENDER_PLAN if version in ("all", p[0])]
        days = [p[1].date() for p in plan]
        files = [f for f in hosted_files() if version in ("all", f[0])]
        expected.append((version, min(days), max(days), *render_figures(plan, files)))
    return expected


def test_credit_balance_daily_rows(loaded: Loaded) -> None:
    """Spend, top-ups, gap days, 7-day burn and runway per UTC day, exactly as computed from the plan."""
    assert rows(loaded.warehouse, "select * from usage.credit_balance_daily order by day") == credit_days()


def test_render_usage_daily_rows(loaded: Loaded) -> None:
    """Per day and version: outcomes, minutes, mean/p95 render time, ratio, failure rate, hosted files."""
    assert (
        rows(loaded.warehouse, "select * from usage.render_usage_daily order by day, version")
        == render_days()
    )


def test_render_usage_summary_rows(loaded: Loaded) -> None:
    """Whole-period totals per version and overall, from the same plan."""
    assert rows(loaded.warehouse, "select * from usage.render_usage_summary") == render_summary()


def test_automation_requests_the_summaries(loaded: Loaded) -> None:
    """After fresh loads eager automation asks for the three summaries, and for nothing once they ran."""
    assert loaded.requested == set(SUMMARIES)
    assert loaded.requested_again == 0


def test_materializations_carry_counts_preview_and_plot_metadata(loaded: Loaded) -> None:
    """Row counts, a newest-first Markdown preview and the four plotted figures, equal to the plan's."""
    meta = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in loaded.result.get_asset_materialization_events()
    }
    credit, daily, summary = credit_days(), render_days(), render_summary()
    for key, expected in zip(SUMMARIES, (credit, daily, summary), strict=True):
        assert meta[key]["dagster/row_count"].value == len(expected)
    credit_meta = meta["usage/credit_balance_daily"]
    assert credit_meta["credits_remaining"].value == credit[-1][3]
    assert credit_meta["days_of_credit_left"].value == credit[-1][7]
    preview = credit_meta["preview"].value.splitlines()
    assert preview[0].startswith("| day | snapshots | opening_credits |")
    assert preview[2].startswith(f"| {credit[-1][0]} |")
    newest = [row for row in daily if row[0] == daily[-1][0]]
    done, failed = sum(row[3] for row in newest), sum(row[4] for row in newest)
    assert meta["usage/render_usage_daily"]["minutes_rendered"].value == sum(row[6] for row in newest)
    assert meta["usage/render_usage_daily"]["failure_rate"].value == (
        failed / (done + failed) if done + failed else None
    )
    overall = summary[0]
    assert meta["usage/render_usage_summary"]["minutes_rendered"].value == overall[7]
    assert meta["usage/render_usage_summary"]["failure_rate"].value == overall[11]


def test_rerun_rebuilds_without_double_counting(loaded: Loaded, instance: dg.DagsterInstance) -> None:
    """Materializing the summaries again leaves every table exactly as it was."""
    tables = ["usage.credit_balance_daily", "usage.render_usage_daily", "usage.render_usage_summary"]
    before = [rows(loaded.warehouse, f"select * from {t}") for t in tables]
    run(loaded.warehouse, instance, SUMMARIES)
    assert [rows(loaded.warehouse, f"select * from {t}") for t in tables] == before


def test_summaries_depend_on_what_they_read() -> None:
    """Group `usage`, lineage to the raw tables, eager automation and the DuckDB writers' pool."""
    specs = {spec.key.to_user_string(): spec for assets in usage.assets for spec in assets.specs}
    deps = {key: sorted(dep.asset_key.to_user_string() for dep in spec.deps) for key, spec in specs.items()}
    renders = ["shotstack/assets_by_render", "shotstack/renders"]
    assert deps == {SUMMARIES[0]: ["picsart/balance"], SUMMARIES[1]: renders, SUMMARIES[2]: renders}
    assert {spec.group_name for spec in specs.values()} == {"usage"}
    assert all(spec.automation_condition == dg.AutomationCondition.eager() for spec in specs.values())
    assert {assets.op.pool for assets in usage.assets} == {DUCKDB_WRITERS_POOL}
