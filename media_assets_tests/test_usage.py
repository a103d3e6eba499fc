"""The usage summaries hold exactly the figures usage_plan computes in Python from the scripted world."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from media_assets.defs.resources import build_resources
from media_assets.defs.usage.tables import markdown
from media_assets.lib.warehouse import WRITERS_POOL
from media_assets.sandbox import Sandbox

from .helpers.location import assets, dlt_assets
from .helpers.materialize import rows
from .helpers.usage_plan import BALANCE_PLAN, RENDER_PLAN, T0, credit_days, render_days, render_summary
from .helpers.usage_world import load_renders, point_at, render, run, world

README = Path(__file__).resolve().parents[1] / "README.md"
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
        graph = dg.Definitions(assets=dlt_assets() + assets("usage"), resources=build_resources(warehouse))
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


def test_every_summary_column_is_described(loaded: Loaded) -> None:
    """Each summary's column schema lists the table's columns in order, every one with a description."""
    meta = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in loaded.result.get_asset_materialization_events()
    }
    for key in SUMMARIES:
        columns = meta[key]["dagster/column_schema"].value.columns
        table = key.replace("/", ".")
        names = [r[0] for r in rows(loaded.warehouse, f"select column_name from (describe {table})")]
        assert [c.name for c in columns] == names
        assert all(c.description and c.description.strip() for c in columns), key


def test_rerun_rebuilds_without_double_counting(loaded: Loaded, instance: dg.DagsterInstance) -> None:
    """Materializing the summaries again leaves every table exactly as it was."""
    tables = ["usage.credit_balance_daily", "usage.render_usage_daily", "usage.render_usage_summary"]
    before = [rows(loaded.warehouse, f"select * from {t}") for t in tables]
    run(loaded.warehouse, instance, SUMMARIES)
    assert [rows(loaded.warehouse, f"select * from {t}") for t in tables] == before


def test_summaries_depend_on_what_they_read() -> None:
    """Group `usage`, lineage to the raw tables, eager automation and the DuckDB writers' pool."""
    specs = {spec.key.to_user_string(): spec for found in assets("usage") for spec in found.specs}
    deps = {key: sorted(dep.asset_key.to_user_string() for dep in spec.deps) for key, spec in specs.items()}
    renders = ["shotstack/assets_by_render", "shotstack/renders"]
    assert deps == {SUMMARIES[0]: ["picsart/balance"], SUMMARIES[1]: renders, SUMMARIES[2]: renders}
    assert {spec.group_name for spec in specs.values()} == {"usage"}
    assert all(spec.automation_condition == dg.AutomationCondition.eager() for spec in specs.values())
    assert {found.op.pool for found in assets("usage")} == {WRITERS_POOL}


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## Usage summaries") : text.index("## Where this project departs")]


def test_readme_sample_is_the_real_output(loaded: Loaded) -> None:
    """The README's sample tables are what the summaries hold for the test world, cell for cell."""
    with duckdb.connect(loaded.warehouse, read_only=True) as con:
        for table in ("credit_balance_daily", "render_usage_daily", "render_usage_summary"):
            cursor = con.execute(f"select * from usage.{table}")
            assert markdown([d[0] for d in cursor.description], cursor.fetchall()) in readme_section(), table


def test_readme_sql_snippets_run(loaded: Loaded) -> None:
    """Each SQL snippet of the README's usage section runs on the summaries and returns rows."""
    snippets = re.findall(r"```sql\n(.*?)```", readme_section(), flags=re.DOTALL)
    assert len(snippets) == 3
    for sql in snippets:
        assert rows(loaded.warehouse, sql), sql
