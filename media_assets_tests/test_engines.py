"""The same world loaded into DuckDB and into PostgreSQL gives the same tables, summaries and checks."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import dlt
import pytest

from media_assets.defs.usage.tables import SCHEMA
from media_assets.lib.naming import PICSART, SHOTSTACK
from media_assets.lib.postgres import ENV
from media_assets.lib.settings import env_name
from media_assets.lib.warehouse import Warehouse
from media_assets.sandbox import Sandbox
from media_assets.sources.picsart import settings as picsart_settings
from media_assets.sources.shotstack import settings as shotstack_settings

from .helpers.postgres import Cluster
from .helpers.usage_plan import RENDER_PLAN, T0
from .helpers.usage_world import RENDER_LOADS, point_at, render, run, world

SUMMARIES = ["credit_balance_daily", "render_usage_daily", "render_usage_summary"]
ORDER = {
    "credit_balance_daily": "day",
    "render_usage_daily": "day, version",
    "render_usage_summary": "version",
}
# what a check's metadata says about the wall clock, not about the data
CLOCK = {"age_hours"}
# (hours after T0, credits): a reading on day 1, none for a week, then spend and a top-up on day 9,
# when both Shotstack versions are read (one render still rendering)
BALANCE = [(0, 5000), (192, 4400), (193, 7400)]


@dataclass
class Loaded:
    """One engine's warehouse after the whole graph ran on the planned world."""

    warehouse: Warehouse
    tables: dict[str, list[tuple]]
    checks: dict[str, tuple]
    dataset_renders: int
    # every event the runs logged (messages, metadata, errors), as text
    logged: str


def same(a: object, b: object) -> bool:
    """Equal; a float may differ in its last bit, since the engines interpolate the p95 in another order."""
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=0)
    return a == b


def raw_tables() -> list[str]:
    """Every table the two sources declare, each as `dataset.table`."""
    return [
        f"{api.dataset}.{table}"
        for api, settings in ((PICSART, picsart_settings), (SHOTSTACK, shotstack_settings))
        for tables in settings.TABLES.values()
        for table in tables
    ]


def read(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.get_connection() as con:
        return con.execute(sql).fetchall()


def load_everything(engine: str, database: str, mp: pytest.MonkeyPatch) -> Loaded:
    """The balance read at each planned hour, both Shotstack versions loaded, every summary and check run."""
    renders = [render(n, v, c, s, r, st) for n, (v, c, s, r, st, _) in enumerate(RENDER_PLAN)]
    files = {n: plan[5] for n, plan in enumerate(RENDER_PLAN)}
    # a stopped clock: each engine sees the same server times, to the second
    sb = Sandbox(world(T0, [credits for _, credits in BALANCE], renders, files), clock_speed=0.0)
    mp.setenv(env_name("warehouse"), engine)
    mp.setenv(env_name("duckdb_path"), database)  # what dataset() opens on DuckDB
    with sb.serve(), dg.instance_for_test() as instance:
        # three runs: the first reading; stage's renders with the second; then everything on v1
        selections = [["picsart/balance"], ["picsart/balance", *RENDER_LOADS], dg.AssetSelection.all()]
        for (hours, _), version, selection in zip(BALANCE, ("v1", "stage", "v1"), selections, strict=True):
            sb.clock.advance(max(0.0, (T0 + timedelta(hours=hours) - sb.clock.now()).total_seconds()))
            point_at(sb, mp, version)
            result = run(database, instance, selection)
        logged = "\n".join(repr(e) for r in instance.get_runs() for e in instance.all_logs(r.run_id))
    warehouse = Warehouse(engine=engine, database=database)
    tables = {t: read(warehouse, f"select * from {SCHEMA}.{t} order by {ORDER[t]}") for t in SUMMARIES}
    tables |= {t: [(read(warehouse, f"select count(*) from {t}")[0][0],)] for t in raw_tables()}
    checks = {
        e.check_name: (
            e.passed,
            e.severity,
            {k: v.value for k, v in e.metadata.items() if k not in CLOCK},
        )
        for e in result.get_asset_check_evaluations()
    }
    renders_read = len(dlt.pipeline(SHOTSTACK.pipeline).dataset().renders.fetchall())
    return Loaded(warehouse, tables, checks, renders_read, logged)


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, postgres_module_database: str
) -> Iterator[dict[str, Loaded]]:
    """The planned world loaded into a fresh DuckDB file and a fresh PostgreSQL database."""
    duckdb_file = str(tmp_path_factory.mktemp("engines") / "media_assets.duckdb")
    loaded = {}
    with pytest.MonkeyPatch.context() as mp:
        loaded["duckdb"] = load_everything("duckdb", duckdb_file, mp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, postgres_module_database)
        loaded["postgres"] = load_everything("postgres", duckdb_file + ".unused", mp)
        yield loaded


def test_every_summary_row_is_identical_on_both_engines(engines: dict[str, Loaded]) -> None:
    """Each usage table holds the same rows, value for value and type for type, on DuckDB and PostgreSQL."""
    duck, pg = engines["duckdb"].tables, engines["postgres"].tables
    for table in SUMMARIES:
        assert duck[table], f"{table} is empty: the world should fill it"
        assert len(pg[table]) == len(duck[table]), table
        for pg_row, duck_row in zip(pg[table], duck[table], strict=True):
            assert [type(v) for v in pg_row] == [type(v) for v in duck_row], table
            assert [same(a, b) for a, b in zip(pg_row, duck_row, strict=True)] == [True] * len(pg_row), (
                table,
                pg_row,
                duck_row,
            )


def test_every_raw_table_holds_as_many_rows_on_both(engines: dict[str, Loaded]) -> None:
    """Every declared table exists on both engines (empty ones too) and holds the same number of rows."""
    duck, pg = engines["duckdb"].tables, engines["postgres"].tables
    assert {t: pg[t] for t in raw_tables()} == {t: duck[t] for t in raw_tables()}
    assert duck[f"{SHOTSTACK.dataset}.renders"] == [(len(RENDER_PLAN),)]


def test_every_check_judges_the_same_on_both(engines: dict[str, Loaded]) -> None:
    """The nine checks ran on both engines and passed or failed alike, naming the same rows."""
    duck, pg = engines["duckdb"].checks, engines["postgres"].checks
    assert len(duck) == 9
    assert pg == duck


def test_dlt_dataset_reads_the_postgres_warehouse(engines: dict[str, Loaded]) -> None:
    """`dlt.pipeline(name).dataset()`, with no destination given, reads the engine the setting picked."""
    assert engines["postgres"].dataset_renders == len(RENDER_PLAN)
    assert engines["duckdb"].dataset_renders == len(RENDER_PLAN)


def test_the_postgres_password_is_in_no_event_and_no_dlt_file(
    engines: dict[str, Loaded], postgres: Cluster
) -> None:
    """The runs' events and dlt's folders (state, traces, load packages) never hold the password."""
    assert engines["postgres"].logged
    assert postgres.password not in engines["postgres"].logged
    secret = postgres.password.encode()
    leaked = [
        p for p in Path(os.environ["DLT_DATA_DIR"]).rglob("*") if p.is_file() and secret in p.read_bytes()
    ]
    assert leaked == []
