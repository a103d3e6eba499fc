"""PostgreSQL as the warehouse: the throwaway cluster, its credentials, and loads running at once."""

import subprocess
import sys

import dagster as dg
import psycopg2
import pytest

from media_assets.defs.shotstack.tracking import files_and_what_follows
from media_assets.defs.usage.assets import rebuild_condition
from media_assets.lib import pace, rate_buckets
from media_assets.lib.naming import APIS, ASSETS_BY_RENDER
from media_assets.lib.postgres import ENV
from media_assets.lib.settings import env_name
from media_assets.lib.warehouse import LOCK_CONFLICT, WRITERS_POOL, Warehouse, writers_pool
from media_assets.sandbox import World

from .helpers import postgres as pg
from .helpers.location import location
from .helpers.materialize import expected_counts


def test_cluster_serves_and_wants_its_password(postgres: pg.Cluster, pg_database: str) -> None:
    """A test's database takes connections with the cluster's password and refuses a wrong one."""
    with psycopg2.connect(pg_database) as con, con.cursor() as cur:
        cur.execute("select current_setting('server_version_num')::int")
        assert cur.fetchone()[0] >= 150000
    con.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(pg_database.replace(postgres.password, "wrong"))


def test_a_refused_password_fails_naming_the_setting_never_quoting_it(
    postgres: pg.Cluster, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong password fails naming where the credentials live; neither password appears in the message."""
    wrong = "not-the-" + postgres.password[:8]
    monkeypatch.setenv(ENV, pg_database.replace(postgres.password, wrong))
    with pytest.raises(dg.Failure) as failure, Warehouse(engine="postgres").get_connection():
        pass
    message = str(failure.value.description)
    assert "[destination.media_assets] credentials" in message and ENV in message
    assert "password authentication failed" in message
    assert wrong not in message and postgres.password not in message


# one location's loads of one API group, in a process of its own, as a run worker would be
LOAD = """
import sys, time
import dagster as dg
from media_assets.definitions import defs
from media_assets.defs.resources import build_resources

assets = [a for a in defs().assets if isinstance(a, dg.AssetsDefinition)]
mine = [a for a in assets if all(key.path[0] == sys.argv[1] for key in a.keys)]
start = time.time()
result = dg.materialize(mine, resources=build_resources(), raise_on_error=False)
print(start, time.time(), result.success, flush=True)
"""


def test_two_loads_at_once_on_postgres_both_land_whole(
    sandbox_environ: dict, world: World, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Picsart and Shotstack loaded by two processes at the same time into one PostgreSQL database.

    Both succeed while the other is still loading, no lock is met or waited out, and every table
    holds exactly the world's rows; on DuckDB the second would have had to wait for the file.
    """
    monkeypatch.setenv(env_name("warehouse"), "postgres")
    monkeypatch.setenv(ENV, pg_database)
    loads = [
        subprocess.Popen(
            [sys.executable, "-c", LOAD, api], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for api in ("picsart", "shotstack")
    ]
    outputs = [load.communicate(timeout=180) for load in loads]
    spans = []
    for (out, err), load in zip(outputs, loads, strict=True):
        assert load.returncode == 0, err[-3000:]
        start, end, success = out.split()
        assert success == "True", err[-3000:]
        assert LOCK_CONFLICT not in err
        spans.append((float(start), float(end)))
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end, f"the loads did not overlap: {spans}"
    warehouse = Warehouse(engine="postgres")
    with warehouse.get_connection() as con:
        for table, expected in expected_counts(world).items():
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == expected, table


def test_pools_follow_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB: everything in the one writers' pool. PostgreSQL: each API's loads in its pipeline's
    pool, the summaries and checks in none."""
    assert {writers_pool(api) for api in (*APIS, None)} == {WRITERS_POOL}
    monkeypatch.setenv(env_name("warehouse"), "postgres")
    assert [writers_pool(api) for api in (*APIS, None)] == ["picsart_pipeline", "shotstack_pipeline", None]


def test_the_files_run_leaves_the_summaries_to_their_own_runs_on_postgres(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DuckDB: the summaries follow the files in one run. PostgreSQL: that run holds the Shotstack
    pool, so the summaries are left to the automation sensor, which runs them beside the loads."""
    graph = location().resolve_asset_graph()
    files = [ASSETS_BY_RENDER.to_user_string()]
    summaries = ["usage/render_usage_daily", "usage/render_usage_summary"]
    assert sorted(k.to_user_string() for k in files_and_what_follows().resolve(graph)) == files + summaries
    assert "any_deps_in_progress" in repr(rebuild_condition())
    monkeypatch.setenv(env_name("warehouse"), "postgres")
    assert [k.to_user_string() for k in files_and_what_follows().resolve(graph)] == files
    assert "any_deps_in_progress" not in repr(rebuild_condition()), "summaries go beside loads"


SPEND_ALL = """
import sys
from media_assets.lib import rate_buckets
limiter = rate_buckets.limiter(rate_buckets.IN_POSTGRES, "acct.edit_v1", 5, 30.0)
# a short wait, not none: a non-blocking acquire also gives up while the limiter's leaking thread
# holds its lock for a moment (once 4 of 5, on a busy machine); a spent 30 s window outlasts it
print(sum(limiter.try_acquire("acct.edit_v1", timeout=0.5) for _ in range(5)))
"""


def test_the_request_budget_in_postgres_is_shared_by_processes(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the pace's budget lives in the warehouse: a second process (another machine, in
    a deployment) finds the permits the first took, and gets none of a window already spent."""
    monkeypatch.setenv(ENV, pg_database)
    monkeypatch.setenv(env_name("warehouse"), "postgres")
    assert pace.rate_limit_store(Warehouse(engine="postgres")) == rate_buckets.IN_POSTGRES
    spent = [subprocess.run([sys.executable, "-c", SPEND_ALL], capture_output=True, text=True, check=True)]
    spent.append(
        subprocess.run([sys.executable, "-c", SPEND_ALL], capture_output=True, text=True, check=True)
    )
    assert [int(run.stdout) for run in spent] == [5, 0], [run.stderr[-2000:] for run in spent]
    with psycopg2.connect(pg_database) as con, con.cursor() as cur:
        cur.execute("select count(*) from ratelimit___acct_edit_v1")
        assert cur.fetchone()[0] == 5
    con.close()
