"""One measured load by the project, in a process of its own (run by `pace.py`, not by hand).

    python benchmarks/project_run.py dagster|dlt|image_search <warehouse>

The environment points the sources at the sandbox and sets the pace; DLT_DATA_DIR keeps this
load's state apart. Prints one JSON line: wall seconds (imports and set-up excluded), requests,
429s, renders deferred, peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(mode: str, warehouse: str) -> int:
    import dagster as dg

    from media_assets.definitions import defs
    from media_assets.defs.resources import build_resources
    from media_assets.defs.shotstack.assets import inbox_ids
    from media_assets.lib import loading
    from media_assets.lib.naming import SHOTSTACK
    from media_assets.lib.pace import run_pace
    from media_assets.lib.warehouse import Warehouse
    from media_assets.sources.shotstack import shotstack_source
    from media_assets.sources.shotstack.renders import deferred_renders

    assets = [a for a in defs().assets if any(k.path[0] != "usage" for k in a.keys)]
    report: dict = {}
    with dg.DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        if mode == "dlt":  # the same dlt run the asset makes, without Dagster
            pace = run_pace("shotstack", Warehouse(database=warehouse), lambda line: None)
            pipeline = loading.pipeline(SHOTSTACK, warehouse)
            inbox = inbox_ids()  # the render ids, as the asset reads them
            source = shotstack_source(pace=pace, files_ahead=True, inbox_render_ids=inbox)
            pipeline.run(source.with_resources("renders", "assets_by_render"))
            report["requests"], report["429s"] = pace.tally.requests, pace.tally.throttled
        else:
            selection = (
                ["picsart/image_search"]
                if mode == "image_search"
                else [
                    "shotstack/renders",
                    "shotstack/assets_by_render",
                ]
            )
            result = dg.materialize(
                assets, selection=selection, resources=build_resources(warehouse), instance=instance
            )
            materialized = [
                m for node in ("shotstack", "picsart") for m in result.asset_materializations_for_node(node)
            ]
            report["requests"] = sum(m.metadata["requests"].value for m in materialized)
            report["429s"] = sum(m.metadata["rate_limited_429s"].value for m in materialized)
        report["wall_s"] = time.perf_counter() - started
    if mode != "image_search":
        state = loading.pipeline(SHOTSTACK, warehouse).state.get("sources", {})
        report["deferred"] = len(deferred_renders(state.get(SHOTSTACK.source, {})))
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
