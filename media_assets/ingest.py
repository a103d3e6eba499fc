"""One @dlt_assets per API; each run builds a fresh source and resolves its secrets only then."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource, dlt_assets
from dagster_duckdb import DuckDBResource
from dlt.extract import DltSource
from pydantic import Field

from . import translator
from .errors import explained
from .inbox import scan
from .resources import DUCKDB_WRITERS_POOL, ensure_parent_dir
from .settings import inbox_dir
from .sources.picsart import picsart_source
from .sources.picsart import settings as picsart_settings
from .sources.shotstack import settings as shotstack_settings
from .sources.shotstack import shotstack_source
from .warehouse import create_if_missing
from .warehouse_lock import retry_while_locked

PICSART_PIPELINE, PICSART_DATASET = "picsart_pipeline", "picsart_data"
SHOTSTACK_PIPELINE, SHOTSTACK_DATASET = "shotstack_pipeline", "shotstack_data"

# metadata keys of a renders materialization: `renders_done`, `renders_failed`, `renders_not_found`,
# and `renders_deferred` (left for the next run by the rate limit)
RENDER_CHANGES = ("done", "failed", "not_found", "deferred")

# asset specs need a source's shape, not its secrets: these stand-ins never send a request
_SHAPE_ONLY_KEY = "resolved-when-a-run-starts"


def _pipeline(name: str, dataset: str, database: str | None = None) -> dlt.Pipeline:
    destination = dlt.destinations.duckdb(ensure_parent_dir(database)) if database else "duckdb"
    return dlt.pipeline(pipeline_name=name, dataset_name=dataset, destination=destination)


def _load(
    context: dg.AssetExecutionContext,
    runner: DagsterDltResource,
    make_source: Callable[[], DltSource],
    pipeline: dlt.Pipeline,
) -> list:
    """One dlt run; a fresh source per attempt (dagster #34052), repeated while the file is locked."""
    if pipeline.has_pending_data:
        context.log.warning(f"{pipeline.pipeline_name}: loading what an earlier run extracted, first")
        retry_while_locked(pipeline.run, context.log)
    return retry_while_locked(
        lambda: list(runner.run(context=context, dlt_source=make_source(), dlt_pipeline=pipeline)),
        context.log,
    )


def _selected(context: dg.AssetExecutionContext) -> set[str]:
    return {key.path[-1] for key in context.selected_asset_keys}


def _ensure_tables(
    duckdb: DuckDBResource,
    dataset: str,
    tables: Mapping[str, Mapping[str, Mapping[str, Any]]],
    resources: Iterable[str],
) -> None:
    """Every table of the run's resources exists afterwards, even if the API had no rows for it.

    dlt creates a table only once it has rows. Checks and SQL summaries reading an empty source
    (no render tracked yet, a brief-only endpoint the service lacks) then find an empty table.
    """
    with duckdb.get_connection() as con:
        for resource in resources:
            for table, columns in tables[resource].items():
                create_if_missing(con, dataset, table, columns)


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
def picsart_assets(context: dg.AssetExecutionContext, dlt: DagsterDltResource, duckdb: DuckDBResource):
    with explained("Picsart", "picsart_source"):
        pipeline = _pipeline(PICSART_PIPELINE, PICSART_DATASET, duckdb.database)
        results = _load(context, dlt, picsart_source, pipeline)
    _ensure_tables(duckdb, PICSART_DATASET, picsart_settings.TABLES, _selected(context))
    yield from results


class ShotstackRun(dg.Config):
    """Which renders a run looks at; by default every known render that is not settled yet."""

    render_ids: list[str] = Field(
        default=[], description="Look up exactly these renders (those already finished are skipped)."
    )
    asset_render_ids: list[str] | None = Field(
        default=None,
        description="Fetch hosted files for these done renders; by default every done render "
        "whose files are not all settled.",
    )

    def lookups(self) -> DltSource:
        """The given renders alone; else the configured ones, the inbox's, and every unfinished one.

        Reading the whole inbox here is what makes it durable: an id whose sensor run failed is
        looked up by the next refresh instead of being forgotten.
        """
        if self.render_ids:
            return shotstack_source(render_ids=self.render_ids, refresh_pending=False)
        return shotstack_source(inbox_render_ids=scan(inbox_dir(), None).new_ids)

    def files(self) -> DltSource:
        return shotstack_source(asset_render_ids=self.asset_render_ids)


def with_render_changes(result: dg.MaterializeResult, pipeline: dlt.Pipeline) -> dg.MaterializeResult:
    """Name the renders this run saw finish, so sensors and people can react to them."""
    if result.asset_key != dg.AssetKey(["shotstack", "renders"]):
        return result
    lookup = pipeline.state["sources"]["shotstack_source"].get("last_lookup", {})
    changes = {
        "renders_looked_up": len(lookup.get("looked_up", [])),
        **{f"renders_{name}": dg.MetadataValue.json(lookup.get(name, [])) for name in RENDER_CHANGES},
    }
    return dg.MaterializeResult(
        asset_key=result.asset_key,
        metadata={**(result.metadata or {}), **changes},
        check_results=result.check_results,
        data_version=result.data_version,
        tags=result.tags,
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
    context: dg.AssetExecutionContext,
    config: ShotstackRun,
    dlt: DagsterDltResource,
    duckdb: DuckDBResource,
):
    pipeline = _pipeline(SHOTSTACK_PIPELINE, SHOTSTACK_DATASET, duckdb.database)
    selected = _selected(context)
    lookups = selected - {"assets_by_render"}
    with explained("Shotstack", "shotstack_source"):
        # renders load first, so the hosted files of renders that just finished follow in the same run
        if lookups:
            results = _load(context, dlt, lambda: config.lookups().with_resources(*lookups), pipeline)
            _ensure_tables(duckdb, SHOTSTACK_DATASET, shotstack_settings.TABLES, lookups)
            for result in results:
                yield with_render_changes(result, pipeline)
        if "assets_by_render" in selected:
            files = lambda: config.files().with_resources("assets_by_render")  # noqa: E731
            results = _load(context, dlt, files, pipeline)
            _ensure_tables(duckdb, SHOTSTACK_DATASET, shotstack_settings.TABLES, ["assets_by_render"])
            yield from results


assets = [picsart_assets, shotstack_assets]
