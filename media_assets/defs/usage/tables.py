"""Usage tables rebuilt from their SQL files, the shared macros and queries, and their UI metadata."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from string import Formatter
from typing import Any

import dagster as dg
import psycopg2
from duckdb import CatalogException, DuckDBPyConnection

from ...lib import postgres
from ...lib.naming import APIS, USAGE_GROUP, api_of_dataset
from .columns import DESCRIPTIONS

SCHEMA = USAGE_GROUP
# the SQL files name each API's dataset as {<api>}: written once, in the naming scheme
DATASETS = {api.name: api.dataset for api in APIS}
# ...and this schema, which also holds the shared macros (sql/macros.sql), as {usage}
NAMES = {**DATASETS, "usage": SCHEMA}
PREVIEW_ROWS = 10
# DuckDB's and PostgreSQL's words for a table that is not there
MISSING_TABLE = re.compile(r'(?:Table with name|relation) "?(\w+)\.(\w+)"? does not exist')
MISSING = (CatalogException, psycopg2.errors.UndefinedTable)
# a connection from Warehouse.get_connection: both take `execute(sql, [params])` with `?`
Connection = DuckDBPyConnection | postgres.Connection


@dataclass
class Table:
    """A rebuilt table's columns and rows, newest last, as its SQL orders them."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def sql(name: str, **names: object) -> str:
    """The SQL in defs/usage/sql/<name>.sql with its placeholders filled in.

    {picsart}, {shotstack} and {usage} name schemas; any other {<file>} stands for the query in
    sql/<file>.sql, which the file names as a CTE: a query written once serves several tables.
    """
    text = (files(__package__) / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    shared = {field for _, field, _, _ in Formatter().parse(text) if field and field not in NAMES}
    shared -= set(names)
    return text.format(**NAMES, **names, **{other: sql(other) for other in shared})


def define_macros(con: Connection) -> None:
    """Create the usage schema and (re)define its macros, the figures every usage query shares."""
    if isinstance(con, postgres.Connection):
        con.execute(sql("macros_postgres", lock=postgres.ADVISORY_LOCK))
        return
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(sql("macros"))


def rebuild(con: Connection, name: str) -> Table:
    """Replace usage.<name> with a fresh result of its SQL in one transaction, so a rerun never
    double counts and a reader sees the old table or the new one, never none."""
    define_macros(con)
    try:
        con.execute("begin")
        con.execute(f"drop table if exists {SCHEMA}.{name}")
        con.execute(f"create table {SCHEMA}.{name} as {sql(name)}")
        con.execute("commit")
    except Exception as error:
        con.execute("rollback")
        raise missing_input(name, error) from None
    return _table(con.execute(f"select * from {SCHEMA}.{name}"))


def query(con: Connection, name: str, parameters: Sequence[Any] | None = None) -> Table:
    """The result of the SELECT in sql/<name>.sql, its `?` filled from `parameters`; it may use the macros."""
    define_macros(con)
    return _table(con.execute(sql(name), parameters))


def _table(cursor: Any) -> Table:
    columns = [d[0] for d in cursor.description]
    types = [str(d[1]) for d in cursor.description]
    return Table(columns=columns, types=types, rows=cursor.fetchall())


def missing_input(name: str, error: Exception) -> Exception:
    """Name the raw table a summary needs and the asset that loads it; any other error goes through."""
    found = MISSING_TABLE.search(str(error)) if isinstance(error, MISSING) else None
    if found is None:
        return error
    dataset, table = found.groups()
    api = api_of_dataset(dataset)
    asset = api.key(table).to_user_string() if api else f"{dataset}.{table}"
    return dg.Failure(
        description=(
            f"{SCHEMA}.{name} reads {dataset}.{table}, which is not in the warehouse yet. "
            f"Materialize {asset} first (or everything, with Materialize all), then this summary."
        )
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table, the shape Dagster's UI renders for a preview."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def table_metadata(table: Table, latest_first: bool = True) -> dict[str, Any]:
    """Row count, column schema and a preview of the latest rows, shared by every usage asset."""
    preview = table.rows[::-1][:PREVIEW_ROWS] if latest_first else table.rows[:PREVIEW_ROWS]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name=c, type=t, description=DESCRIPTIONS[c])
            for c, t in zip(table.columns, table.types, strict=True)
        ]
    )
    return {
        "dagster/row_count": len(table.rows),
        "dagster/column_schema": schema,
        "preview": dg.MetadataValue.md(markdown(table.columns, preview)),
    }


def number(value: float | None) -> dg.MetadataValue:
    """A plottable float, or an explicit null when the figure is undefined (e.g. no spend yet)."""
    return dg.MetadataValue.null() if value is None else dg.MetadataValue.float(float(value))
