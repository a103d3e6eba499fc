"""Small DuckDB helpers for the warehouse file that dlt loads."""

from collections.abc import Mapping

import duckdb

# dlt data types as DuckDB creates them
DUCKDB_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "json": "JSON",
}

DLT_COLUMNS = {
    "_dlt_load_id": {"data_type": "text", "nullable": False},
    "_dlt_id": {"data_type": "text", "nullable": False},
}


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def create_if_missing(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, columns: Mapping[str, Mapping[str, object]]
) -> bool:
    """Create an empty table from dlt column hints where dlt made none (it only creates tables with rows)."""
    if table_exists(con, schema, table):
        return False
    # with dlt's own columns, which DuckDB cannot add later because they are NOT NULL
    columns = {**columns, **DLT_COLUMNS}
    definition = ", ".join(
        f'"{name}" {DUCKDB_TYPES[str(hint.get("data_type", "text"))]}'
        + ("" if hint.get("nullable", True) else " NOT NULL")
        for name, hint in columns.items()
    )
    con.execute(f'create schema if not exists "{schema}"')
    con.execute(f'create table "{schema}"."{table}" ({definition})')
    return True
