"""The daily catalogue refresh: slow-changing lists of both APIs, in one job."""

import dagster as dg

from ..lib.naming import PICSART, SHOTSTACK
from ..lib.schedules import keyed_schedule


@dg.definitions
def defs() -> dg.Definitions:
    catalogue = dg.define_asset_job(
        "refresh_catalogue",
        selection=dg.AssetSelection.assets(
            SHOTSTACK.key("templates"),
            SHOTSTACK.key("ingest_sources"),
            PICSART.key("effects"),
            PICSART.key("ai_effects"),
        ),
    )
    schedule = keyed_schedule(
        catalogue,
        "0 6 * * *",
        (PICSART, SHOTSTACK),
        "Daily at 06:00 UTC: templates, ingested sources and effects.",
    )
    return dg.Definitions(jobs=[catalogue], schedules=[schedule])
