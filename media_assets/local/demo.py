"""The demo job: a fresh sandbox, every asset materialized through the real definitions, a summary."""

import json
import os
import shlex
import sys
from datetime import UTC, datetime

import dagster as dg
import duckdb

from ..lib import project
from ..lib.naming import APIS, PICSART, SHOTSTACK
from ..lib.settings import duckdb_path, env_name
from ..sandbox import Sandbox
from ..sandbox.history import History, history_world
from .history import replay
from .instance_home import default_home, prepare
from .sandbox_env import live_world, sandbox_env, sibling_command

DATASETS = tuple(api.dataset for api in APIS)
# step-by-step event logs belong in the UI; the terminal gets warnings and the summary
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def table_rows(database: str) -> dict[str, int]:
    """Rows per loaded table, dlt's bookkeeping tables left out."""
    with duckdb.connect(database, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (?, ?) and table_name not like '\\_dlt%' escape '\\' "
            "order by 1, 2",
            list(DATASETS),
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }


def latest_credits(database: str) -> int | None:
    """The newest snapshot's credits: what the account had when the demo asked."""
    with duckdb.connect(database, read_only=True) as con:
        row = con.execute(
            f"select credits from {PICSART.dataset}.balance order by taken_at desc limit 1"
        ).fetchone()
    return row[0] if row else None


def has_readings(database: str) -> bool:
    """Whether the warehouse file exists and holds balance snapshots."""
    if not os.path.exists(database):
        return False
    try:
        return latest_credits(database) is not None
    except duckdb.CatalogException:
        return False


def query_command(database: str) -> str:
    """A shell line that prints the renders table, opening the file read-only so a loader is not blocked."""
    code = (
        f"import duckdb; con = duckdb.connect({json.dumps(database)}, read_only=True); "
        f'print(con.sql("from {SHOTSTACK.dataset}.renders"))'
    )
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def check_summary(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line for the checks overall, then one per failed check, so a stale or bad load is visible."""
    evaluations = result.get_asset_check_evaluations()
    failed = [e for e in evaluations if not e.passed]
    lines = [f"Asset checks: {len(evaluations) - len(failed)} of {len(evaluations)} passed"]
    for evaluation in failed:
        key = evaluation.asset_check_key
        lines.append(f"  failed ({evaluation.severity.value}): {key.asset_key.to_user_string()} {key.name}")
    return lines


def run_demo(seed: int = 7, version: str = "v1", days: int = 0) -> int:
    """Materialize every asset from a seeded sandbox into the warehouse file and report.

    With `days`, the sandbox starts that many days ago and the demo plays them (`local/history.py`).
    """
    project.activate()
    if days and has_readings(str(duckdb_path())):
        print(
            f"media-assets demo --days plays days that end now, and {duckdb_path()} already holds "
            "balance readings, which would mix with them. Point it at a new file with "
            f"{env_name('duckdb_path')}=data/history.duckdb (or [media_assets] duckdb_path in "
            ".dlt/config.toml), or move that file away; nothing was changed."
        )
        return 2
    # ready before the run opens it, so demos and runs started together cannot race to create it
    os.environ["DAGSTER_HOME"] = str(prepare(default_home()))
    # dated now, not at the generator's fixed date, so the balance-freshness check judges a fresh snapshot
    world = history_world(seed, datetime.now(UTC), History(days)) if days else live_world(seed)
    # a history's clock moves only as the demo plays it, an hour at a time, so readings fall on the hour
    sandbox = Sandbox(world, clock_speed=0.0 if days else 1.0)
    with sandbox.serve() as base_url:
        print(f"Sandbox serving Picsart and Shotstack at {base_url} (seed {seed}, {version})")
        os.environ.update(sandbox_env(sandbox, world, version))
        from ..definitions import defs

        job = defs().resolve_implicit_global_asset_job_def()

        def run(selection: dg.AssetSelection | None) -> dg.ExecuteInProcessResult:
            keys = list(selection.resolve(job.asset_layer.asset_graph)) if selection else None
            return job.execute_in_process(
                instance=dg.DagsterInstance.get(), run_config=QUIET, asset_selection=keys
            )

        if days:
            print(f"Playing {days} days of history, an hour at a time:")
            result = replay(sandbox, days, version, run)
        else:
            result = run(None)
    if not result.success:
        print("The demo run failed; see the errors above.")
        return 1
    database = str(duckdb_path())
    print(f"\nLoaded into {database}:")
    for table, rows in table_rows(database).items():
        print(f"  {table:<45} {rows:>6} rows")
    print(f"\nCurrent Picsart credit balance: {latest_credits(database)}")
    print("\n" + "\n".join(check_summary(result)))
    home = shlex.quote(os.environ["DAGSTER_HOME"])
    print(
        "\nBrowse the assets, lineage and this run in the Dagster UI:\n"
        f"  DAGSTER_HOME={home} {sibling_command('dagster')} dev   # then open http://127.0.0.1:3000\n"
        f"Query the tables:\n  {query_command(database)}"
    )
    return 0
