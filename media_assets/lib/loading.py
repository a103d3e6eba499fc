"""One dlt load: the API's pipeline, a fresh source per attempt, and dlt's empty tables."""

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource
from dlt.common.schema.typing import C_DLT_ID, C_DLT_LOAD_ID
from dlt.common.schema.utils import get_columns_names_with_prop, new_table
from dlt.extract import DltSource

from .columns import loaded_schema
from .naming import Api
from .warehouse import Warehouse, duckdb_destination, retry_while_locked

# asset specs need a source's shape, not its secrets: a source with this key never sends a request
SHAPE_ONLY_KEY = "resolved-when-a-run-starts"
# what dlt's own tables and columns are named with
DLT_PREFIX = "_dlt"
# dlt's own columns, NOT NULL: DuckDB cannot add them to an existing table later
DLT_COLUMNS = {
    C_DLT_LOAD_ID: {"data_type": "text", "nullable": False},
    C_DLT_ID: {"data_type": "text", "nullable": False, "unique": True},
}
# a resource's tables and their declared columns: {resource: {table: {column: hints}}}
Tables = Mapping[str, Mapping[str, Mapping[str, Mapping[str, Any]]]]


def pipeline(api: Api, warehouse: Warehouse | str | Path) -> dlt.Pipeline:
    """The API's pipeline, loading into `warehouse` (the resource, or a DuckDB file's absolute path).

    Elsewhere, `dlt.pipeline(name).dataset()` and the dashboard find the same DuckDB file through
    the project's run context (`lib/project.py`), which gives dlt the destination's path as config;
    on PostgreSQL dlt reads the destination's credentials from the secrets.
    """
    destination = (
        warehouse.destination() if isinstance(warehouse, Warehouse) else duckdb_destination(warehouse)
    )
    return dlt.pipeline(pipeline_name=api.pipeline, dataset_name=api.dataset, destination=destination)


def load_pending(pipeline: dlt.Pipeline) -> None:
    """Normalize and load the packages an earlier, stopped run left, without syncing first.

    `pipeline.run()` syncs with the destination before it loads pending packages, and when the
    dataset does not exist yet (the stopped run was the first load into this warehouse) that sync
    wipes the pipeline's folder, pending packages included: a balance snapshot in one would be
    lost for good. `normalize()` and `load()` do not sync; the load creates the dataset.
    """
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    pipeline.load()


def selected(context: dg.AssetExecutionContext) -> set[str]:
    """The dlt resources behind the run's selected assets."""
    return {key.path[-1] for key in context.selected_asset_keys}


def load(
    context: dg.AssetExecutionContext,
    runner: DagsterDltResource,
    make_source: Callable[[], DltSource],
    pipeline: dlt.Pipeline,
) -> list[dg.MaterializeResult]:
    """One dlt run; a fresh source per attempt (dagster #34052), repeated while the file is locked.

    Each attempt first loads a package that an earlier run, or an earlier attempt stopped by the
    lock, extracted but could not load: dagster-dlt drops the pipeline's local state before it
    runs, pending packages included, and a balance snapshot in one cannot be fetched again.
    """

    def attempt() -> list[dg.MaterializeResult]:
        if pipeline.has_pending_data:
            context.log.warning(
                f"{pipeline.pipeline_name}: loading what an earlier run or attempt extracted, first"
            )
            load_pending(pipeline)
        return list(runner.run(context=context, dlt_source=make_source(), dlt_pipeline=pipeline))

    return retry_while_locked(attempt, context.log)


def stored(pipeline: dlt.Pipeline) -> dlt.Pipeline:
    """The pipeline as dlt saved it: dagster-dlt strips the running pipeline's schema of its column
    hints while it builds a run's metadata (it pops them from the schema's own column dicts)."""
    return dlt.attach(
        pipeline.pipeline_name, pipelines_dir=pipeline.pipelines_dir, destination=pipeline.destination
    )


def described(result: dg.MaterializeResult, pipeline: dlt.Pipeline) -> dg.MaterializeResult:
    """The result's column schemas, its table's and its nested tables', with every column described:
    dagster-dlt drops the descriptions, and the UI shows the newest materialization's schema."""
    metadata = dict(result.metadata or {})
    table = result.asset_key.path[-1] if result.asset_key else None
    for name in [table] + [k for k, v in metadata.items() if isinstance(v, dg.TableSchema)]:
        schema = loaded_schema(pipeline, name) if name else None
        if schema is not None:
            metadata["dagster/column_schema" if name == table else name] = schema
    return result._replace(metadata=metadata)


def owns(tables: Mapping[str, Any], table: str) -> bool:
    """Whether `table` is one of a resource's `tables` or a table nested in one (`name__child`)."""
    return any(table == name or table.startswith(f"{name}__") for name in tables)


def new_columns(pipeline: dlt.Pipeline, tables: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Columns the pipeline's last load added to a resource's `tables` ({table: columns}) that they
    do not declare, as `table.column`: fields the API began to send, or sent in another type (a
    variant column). Tables of other resources loaded in the same run are not looked at.

    dlt restores the schema stored in the warehouse before each run, so its schema update lists only
    what this load changed there; a field dropped by the API is not a change, its column stays.
    """
    info = pipeline.last_trace.last_load_info if pipeline.last_trace else None
    found = {
        f"{table}.{column}"
        for package in (info.load_packages if info else [])
        for table, update in package.schema_update.items()
        if not table.startswith(DLT_PREFIX) and owns(tables, table)
        for column in update.get("columns", {})
        if not column.startswith(DLT_PREFIX) and column not in tables.get(table, {})
    }
    return sorted(found)


def create_empty_tables(
    saved: dlt.Pipeline, shape: DltSource, tables: Tables, resources: Iterable[str]
) -> None:
    """Every table of `resources` exists afterwards, even where the API had no rows for it.

    dlt creates a table only once it has rows, and when several resources load in one run it
    stores a schema that names the empty ones too, so the schema cannot tell which exist. Checks
    and summaries reading an empty source (no render tracked yet, a brief-only endpoint the service
    lacks) then find no table. So the warehouse is asked which are missing; those join the schema
    of `saved` (the pipeline as `stored` gives it) with their declared columns, the resource's write
    disposition and key (from `shape`, the location's shape-only source, which sends nothing), and
    dlt's own columns, and dlt creates them.
    """
    name = saved.default_schema_name
    if name is None:
        return  # nothing was ever loaded: the next load creates the schema first
    log = dg.get_dagster_logger()
    wanted = [table for resource in resources for table in tables[resource]]

    def missing() -> list[str]:
        with saved.destination_client(name) as client:
            return [table for table, columns in client.get_storage_tables(wanted) if not columns]

    absent = retry_while_locked(missing, log)
    if not absent:
        return
    schema = saved.schemas[name]
    for resource in resources:
        hints = shape.resources[resource].compute_table_schema()
        key = set(get_columns_names_with_prop(hints, "primary_key"))
        for table, columns in tables[resource].items():
            if table not in absent:
                continue
            declared = [
                {"name": column, **hint, **({"primary_key": True} if column in key else {})}
                for column, hint in {**columns, **DLT_COLUMNS}.items()
            ]
            schema.update_table(
                new_table(table, write_disposition=hints.get("write_disposition"), columns=declared)
            )
    saved.schemas.save_schema(schema)  # a new version: the destination stores only a saved schema

    def create() -> None:
        # forced: the schema stored by the load may already name these tables, with no DDL run for them
        with saved.destination_client(name) as client:
            client.initialize_storage()
            client.update_stored_schema(only_tables=absent, force=True)

    retry_while_locked(create, log)
