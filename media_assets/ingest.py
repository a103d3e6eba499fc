"""One @dlt_assets per API; each run builds a fresh source and resolves its secrets only then."""

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_duckdb import DuckDBResource

from . import translator
from .errors import explained
from .resources import DUCKDB_WRITERS_POOL, ensure_parent_dir
from .sources.picsart import picsart_source
from .sources.picsart import settings as picsart_settings
from .sources.shotstack import settings as shotstack_settings
from .sources.shotstack import shotstack_source

PICSART_PIPELINE, PICSART_DATASET = "picsart_pipeline", "picsart_data"
SHOTSTACK_PIPELINE, SHOTSTACK_DATASET = "shotstack_pipeline", "shotstack_data"

# asset specs need a source's shape, not its secrets: these stand-ins never send a request
_SHAPE_ONLY_KEY = "resolved-when-a-run-starts"


def _pipeline(name: str, dataset: str, database: str | None = None) -> dlt.Pipeline:
    destination = dlt.destinations.duckdb(ensure_parent_dir(database)) if database else "duckdb"
    return dlt.pipeline(pipeline_name=name, dataset_name=dataset, destination=destination)


@dlt_assets(
    dlt_source=picsart_source(
        api_key=_SHAPE_ONLY_KEY,
        base_url=picsart_settings.BASE_URL,
        image_search_query=picsart_settings.IMAGE_SEARCH_QUERY,
    ),
    dlt_pipeline=_pipeline(PICSART_PIPELINE, PICSART_DATASET),
    name="picsart",
    dagster_dlt_translator=translator.PICSART,
    pool=DUCKDB_WRITERS_POOL,
)
def picsart_assets(
    context: dg.AssetExecutionContext, dlt: DagsterDltResource, duckdb: DuckDBResource
):
    with explained("Picsart", "picsart_source"):
        yield from dlt.run(
            context=context,
            dlt_source=picsart_source(),
            dlt_pipeline=_pipeline(PICSART_PIPELINE, PICSART_DATASET, duckdb.database),
        )


@dlt_assets(
    dlt_source=shotstack_source(
        api_key=_SHAPE_ONLY_KEY,
        base_url=shotstack_settings.BASE_URL,
        version=shotstack_settings.VERSION,
        render_ids=(),
        asset_ids=(),
    ),
    dlt_pipeline=_pipeline(SHOTSTACK_PIPELINE, SHOTSTACK_DATASET),
    name="shotstack",
    dagster_dlt_translator=translator.SHOTSTACK,
    pool=DUCKDB_WRITERS_POOL,
)
def shotstack_assets(
    context: dg.AssetExecutionContext, dlt: DagsterDltResource, duckdb: DuckDBResource
):
    with explained("Shotstack", "shotstack_source"):
        yield from dlt.run(
            context=context,
            dlt_source=shotstack_source(),
            dlt_pipeline=_pipeline(SHOTSTACK_PIPELINE, SHOTSTACK_DATASET, duckdb.database),
        )


assets = [picsart_assets, shotstack_assets]
