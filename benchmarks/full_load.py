"""Time one full load of every asset from a sandbox world of a chosen size, against its bounds.

Run on demand, never in CI:  .venv/bin/python benchmarks/full_load.py --renders 250 --latency 0.05

It prints wall time, requests per endpoint, rows loaded and peak memory, next to two lower bounds
on the wall time: the published rate limits (fixed 60 s windows per key) and the sum of the
added per-request latency, which is what a client making one request at a time must wait.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from media_assets.sandbox import World

ROOT = Path(__file__).resolve().parents[1]
WINDOW_SECONDS = 60.0


def isolate_dlt(folder: Path) -> None:
    """dlt reads the repo's config.toml (never a secrets.toml) and keeps its state in `folder`."""
    (folder / ".dlt").mkdir(parents=True)
    (folder / ".dlt" / "config.toml").write_text((ROOT / ".dlt" / "config.toml").read_text())
    os.environ["DLT_PROJECT_DIR"] = str(folder)
    os.environ["DLT_DATA_DIR"] = str(folder / "data")


def rate_limit_bound(world: World, version: str) -> float:
    """Seconds the published limits force on a complete load: n calls to a bucket of limit L
    span (n - 1) // L whole windows. Counts the calls a complete load needs, not the ones made."""
    from media_assets.sandbox.picsart import RATE_LIMIT as PICSART_LIMIT
    from media_assets.sandbox.shotstack import RATE_LIMITS

    done = [r for r in world.renders if r.version == version and r.final_status == "done"]
    needed = {
        "edit": len(world.render_ids(version)) + 1,  # one lookup per render, the templates
        "serve": len(done) + 3,  # files of each done render, the three configured asset ids
        "ingest": 1,
    }
    windows = [(calls - 1) // RATE_LIMITS[api][version] for api, calls in needed.items()]
    windows.append((7 - 1) // PICSART_LIMIT)
    return max(windows) * WINDOW_SECONDS


def table_rows(warehouse: str) -> dict[str, int]:
    import duckdb

    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%_data' and table_name not like '_dlt%' order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=250, help="renders in the world (v1)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every response")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="media-assets-bench-"))
    isolate_dlt(work)
    import dagster as dg

    from media_assets.definitions import defs
    from media_assets.defs.resources import build_resources
    from media_assets.local.sandbox_env import sandbox_env
    from media_assets.sandbox import Sandbox, World, WorldSize

    world = World.generate(seed=args.seed, size=WorldSize(renders_v1=args.renders, pending_share=0.0))
    sandbox = Sandbox(world, latency=args.latency)
    warehouse = str(work / "warehouse.duckdb")
    with sandbox.serve(), dg.instance_for_test() as instance:
        os.environ.update(sandbox_env(sandbox, world))
        started = time.perf_counter()
        dlt_assets = [a for a in defs().assets if any(k.path[0] != "usage" for k in a.keys)]
        result = dg.materialize(
            dlt_assets, resources=build_resources(warehouse), instance=instance, raise_on_error=False
        )
        wall = time.perf_counter() - started
        counts = Counter({k: v for k, v in sandbox.counts.items() if v})
        renders = next(
            m
            for m in result.asset_materializations_for_node("shotstack")
            if m.asset_key.path[-1] == "renders"
        )
    calls = sum(counts.values())
    report = {
        "renders": args.renders,
        "latency_s": args.latency,
        "success": result.success,
        "wall_s": round(wall, 2),
        "requests": calls,
        "requests_by_endpoint": dict(sorted(counts.items())),
        "renders_deferred_by_rate_limit": len(renders.metadata["renders_deferred"].value),
        "rows": table_rows(warehouse),
        "bound_rate_limits_s": rate_limit_bound(world, "v1"),
        "bound_sequential_latency_s": round(calls * args.latency, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
