"""Shotstack's resources as one @dlt_assets: renders first, then the hosted files of those done."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets
from pydantic import Field

from ...lib import inbox_table, loading
from ...lib.errors import explained
from ...lib.inbox import scan
from ...lib.naming import RENDERS, SHOTSTACK
from ...lib.pace import run_pace
from ...lib.partial import load_resources
from ...lib.settings import inbox_dir
from ...lib.translator import SHOTSTACK_TRANSLATOR
from ...lib.warehouse import Warehouse, writers_pool
from ...sources.shotstack import settings, shotstack_source
from ...sources.shotstack.renders import deferred_renders

FILES = "assets_by_render"


class ShotstackRun(dg.Config):
    """Which renders a run looks up; by default the inbox's, the configured ones and every unfinished one."""

    render_ids: list[str] = Field(
        default=[], description="Look up exactly these renders (those already finished are skipped)."
    )


def render_outcomes(warehouse: Warehouse, load_ids: list[str], deferred: list[str]) -> dict[str, Any]:
    """What this run's lookups found, read back from the rows it loaded: ids per outcome.

    The finished-renders sensor reads `renders_done` to fetch their hosted files.
    """
    table = f"{SHOTSTACK.dataset}.renders"
    missing = f"{SHOTSTACK.dataset}.{settings.NOT_FOUND_TABLE}"
    with warehouse.get_connection() as con:
        found = con.execute(
            f"select id, status from {table} where _dlt_load_id = any(?) "
            f"union all select id, status from {missing} where _dlt_load_id = any(?) order by id",
            [load_ids, load_ids],
        ).fetchall()
    ids = {outcome: [i for i, status in found if status == outcome] for outcome in settings.RENDER_OUTCOMES}
    ids[settings.DEFERRED] = deferred
    return {
        "renders_looked_up": len(found),
        **{f"renders_{outcome}": dg.MetadataValue.json(ids[outcome]) for outcome in settings.RENDER_OUTCOMES},
    }


def inbox_ids() -> list[str]:
    """Every id in the inbox, folder or table: a refresh reads it whole, so a failed run loses none."""
    return inbox_table.all_ids() if inbox_table.in_table() else scan(inbox_dir(), None).new_ids


@dg.definitions
def defs() -> dg.Definitions:
    """Built when the location loads: a shape-only source, so no key is needed until a run."""

    shape = shotstack_source(
        api_key=loading.SHAPE_ONLY_KEY,
        base_url=settings.BASE_URL,
        version=settings.VERSION,
        render_ids=(),
        asset_ids=(),
    )

    @dlt_assets(
        dlt_source=shape,
        dlt_pipeline=None,
        name=SHOTSTACK.op,
        dagster_dlt_translator=SHOTSTACK_TRANSLATOR,
        pool=writers_pool(SHOTSTACK),
    )
    def shotstack_assets(
        context: dg.AssetExecutionContext, config: ShotstackRun, dlt: DagsterDltResource, warehouse: Warehouse
    ) -> Iterator[dg.MaterializeResult]:
        pipeline = loading.pipeline(SHOTSTACK, warehouse)
        chosen = loading.selected(context)
        lookups = chosen - {FILES}
        inbox = [] if config.render_ids else inbox_ids()
        pace = run_pace("shotstack", warehouse, context.log.info)
        # Edit and Serve are limited apart: files of renders found done are fetched during lookups
        ahead = {"renders", FILES} <= chosen

        def source() -> Any:
            if config.render_ids:
                return shotstack_source(
                    render_ids=config.render_ids, refresh_pending=False, files_ahead=ahead, pace=pace
                )
            # the whole inbox, every refresh: an id whose sensor run failed is looked up later
            return shotstack_source(inbox_render_ids=inbox, files_ahead=ahead, pace=pace)

        # one dlt run, the lists side by side with the lookups and the hosted files of renders that
        # just finished last; after a fault, one run each, so a 429 on templates fails templates only
        order = [r for r in settings.TABLES if r in lookups] + [r for r in (FILES,) if r in chosen]
        with explained("Shotstack", SHOTSTACK.source):
            outcome = load_resources(
                context,
                dlt,
                source,
                shape,
                pipeline,
                order,
                SHOTSTACK,
                "Shotstack",
                settings.PATHS,
                settings.TABLES,
                pace,
            )
        for resource, results in outcome.results.items():
            for result in results:
                if result.asset_key == RENDERS:
                    deferred = deferred_renders(pipeline.state["sources"].get(SHOTSTACK.source, {}))
                    outcomes = render_outcomes(warehouse, outcome.load_ids[resource], deferred)
                    result = result._replace(metadata={**(result.metadata or {}), **outcomes})
                yield result
        outcome.raise_failures()

    return dg.Definitions(assets=[shotstack_assets])
