"""Column schemas for the UI, every column described: declared hints, dlt's own columns, the rest."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import dlt
from dlt.common.schema.typing import C_DLT_ID, C_DLT_LOAD_ID

# dlt's bookkeeping columns, on every table it loads
DLT_DESCRIPTIONS = {
    C_DLT_LOAD_ID: "The dlt load that wrote the row; its time and status are in `_dlt_loads`.",
    C_DLT_ID: "A key dlt gives every row.",
    "_dlt_parent_id": "The `_dlt_id` of the parent row this nested row came from.",
    "_dlt_list_idx": "The row's position in its parent's list.",
    "_dlt_root_id": "The `_dlt_id` of the top-level row this nested row belongs to.",
}
# a column the API sent that the source's settings.py does not declare
UNDECLARED = (
    "A field the API sent that the source does not declare (see the run's new_columns); "
    "a `__v_<type>` suffix means it came in another type than declared."
)


def _description(name: str, hints: Mapping[str, Any]) -> str:
    return str(hints.get("description") or DLT_DESCRIPTIONS.get(name) or UNDECLARED)


def column_schema(columns: Mapping[str, Mapping[str, Any]]) -> dg.TableSchema:
    """dlt column hints ({column: hints}) as a Dagster table schema, each column described."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=str(hints.get("data_type", "text")),
                description=_description(name, hints),
                constraints=dg.TableColumnConstraints(nullable=bool(hints.get("nullable", True))),
            )
            for name, hints in columns.items()
        ]
    )


def declared_schema(columns: Mapping[str, Mapping[str, Any]]) -> dg.TableSchema:
    """A table's declared columns and dlt's own two, the schema shown before the first load."""
    own = {name: {"data_type": "text", "nullable": False} for name in (C_DLT_LOAD_ID, C_DLT_ID)}
    return column_schema({**columns, **own})


def loaded_schema(pipeline: dlt.Pipeline, table: str) -> dg.TableSchema | None:
    """The table's columns as the pipeline's last load left them, or None if it has no such table."""
    schema = pipeline.default_schema if pipeline.default_schema_name else None
    if schema is None or table not in schema.tables:
        return None
    return column_schema(schema.get_table_columns(table))
