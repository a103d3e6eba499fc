"""Picsart's resources as one @dlt_assets, and the hourly balance snapshot."""

from collections.abc import Iterator

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from ..lib import loading
from ..lib.errors import explained
from ..lib.naming import BALANCE, PICSART
from ..lib.pace import run_pace
from ..lib.partial import load_resources
from ..lib.schedules import keyed_schedule
from ..lib.translator import PICSART_TRANSLATOR
from ..lib.warehouse import Warehouse, writers_pool
from ..sources.picsart import picsart_source, settings


@dg.definitions
def defs() -> dg.Definitions:
    """Built when the location loads: a shape-only source, so no key is needed until a run."""

    shape = picsart_source(
        api_key=loading.SHAPE_ONLY_KEY,
        base_url=settings.BASE_URL,
        image_search_query=settings.IMAGE_SEARCH_QUERY,
    )

    @dlt_assets(
        dlt_source=shape,
        dlt_pipeline=None,
        name=PICSART.op,
        dagster_dlt_translator=PICSART_TRANSLATOR,
        pool=writers_pool(PICSART),
    )
    def picsart_assets(
        context: dg.AssetExecutionContext, dlt: DagsterDltResource, warehouse: Warehouse
    ) -> Iterator[dg.MaterializeResult]:
        pipeline = loading.pipeline(PICSART, warehouse)
        chosen = [r for r in settings.TABLES if r in loading.selected(context)]
        pace = run_pace("picsart", warehouse, context.log.info)
        with explained("Picsart", PICSART.source):
            # the snapshot in a run of its own: a bad trending page must not cost it
            outcome = load_resources(
                context,
                dlt,
                lambda: picsart_source(pace=pace),
                shape,
                pipeline,
                chosen,
                PICSART,
                "Picsart",
                settings.PATHS,
                settings.TABLES,
                pace,
                alone=("balance",),
            )
        for loaded in outcome.results.values():
            yield from loaded
        outcome.raise_failures()

    balance = dg.define_asset_job("refresh_balance", selection=dg.AssetSelection.assets(BALANCE))
    return dg.Definitions(
        assets=[picsart_assets],
        jobs=[balance],
        schedules=[keyed_schedule(balance, "0 * * * *", (PICSART,), "Hourly: a Picsart balance snapshot.")],
    )
