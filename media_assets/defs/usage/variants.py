"""dlt's variant columns on the fields the summaries read, found and named before they skew a figure.

When a value cannot be coerced to its column's declared type ("30s" for a double), dlt keeps it
in a new column `<column>__v_<type>` and leaves `<column>` NULL. SQL reading `<column>` then
skips the row without an error: minutes rendered would be undercounted, silently.
"""

from dataclasses import asdict, dataclass
from typing import Any

import dagster as dg

from ...lib.naming import ASSETS_BY_RENDER, BALANCE, RENDERS, Api
from .tables import SCHEMA, Connection

# the columns of each raw table the usage SQL (sql/*.sql) and the checks read, by asset
READ: dict[dg.AssetKey, tuple[str, ...]] = {
    BALANCE: ("taken_at", "credits"),
    RENDERS: ("id", "version", "status", "created", "duration", "render_time"),
    ASSETS_BY_RENDER: ("id", "render_id", "created"),
}
EXAMPLES = 3
VARIANT = "__v_"


@dataclass(frozen=True)
class Variant:
    """One variant column: the field it shadows, how many rows hold a value there, a few of them."""

    table: str
    column: str
    variant: str
    rows: int
    examples: list[str]

    def describe(self) -> str:
        kind = self.variant.rsplit(VARIANT, 1)[1]
        shown = ", ".join(repr(e) for e in self.examples)
        return (
            f"{self.table}.{self.variant} ({self.rows} row{'s' if self.rows != 1 else ''}, e.g. {shown}): "
            f"{self.column} arrived as {kind}, so {self.table}.{self.column} is NULL there"
        )


def table_of(key: dg.AssetKey) -> tuple[str, str]:
    """The warehouse schema and table a dlt asset loads."""
    api, resource = key.path
    return Api(api).dataset, resource


def find(con: Connection, key: dg.AssetKey) -> list[Variant]:
    """Variant columns of the fields read from `key`'s table that hold at least one value."""
    dataset, table = table_of(key)
    names = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? and position(? in column_name) > 0 order by column_name",
        [dataset, table, VARIANT],
    ).fetchall()
    found = []
    for (variant,) in names:
        column = variant.rsplit(VARIANT, 1)[0]
        if column not in READ[key]:
            continue
        (count,) = con.execute(f'select count("{variant}") from {dataset}.{table}').fetchone()
        if count:
            sample = con.execute(
                f'select distinct cast("{variant}" as varchar) as v from {dataset}.{table} '
                f'where "{variant}" is not null order by v limit {EXAMPLES}'
            ).fetchall()
            found.append(Variant(f"{dataset}.{table}", column, variant, count, [s for (s,) in sample]))
    return found


def metadata(variants: list[Variant]) -> dict[str, Any]:
    return {"variant_columns": dg.MetadataValue.json([asdict(v) for v in variants])}


def refuse(con: Connection, keys: list[dg.AssetKey], summary: str) -> None:
    """Fail the summary rather than build it from NULLs where the API sent another type."""
    variants = [v for key in keys for v in find(con, key)]
    if not variants:
        return
    lines = "\n".join(f"- {v.describe()}" for v in variants)
    raise dg.Failure(
        description=(
            f"{SCHEMA}.{summary} is not rebuilt: it would leave out rows whose fields the API sent in "
            f"another type, and undercount.\n{lines}\nThe API changed these fields' type. Make the "
            "source read the new form, then repair the rows (copy each value into its column and "
            "drop the variant column) and run again."
        ),
        metadata=metadata(variants),
    )
