"""The render inbox as a PostgreSQL table, for machines that share no disk.

With `[media_assets] inbox = "table"` the webhook receiver inserts render ids into
`inbox.render_ids` in the PostgreSQL warehouse, the sensor claims the rows no run has been asked
for yet, and every refresh reads the whole table. The folder's guarantees hold: an id is claimed
once (the claim is a row lock and a stamp, so two sensor ticks at once cannot both take it), and
an id whose run failed is not lost, since the refresh looks up every id in the table.
"""

from collections.abc import Iterable

from . import postgres
from .inbox import UUID
from .settings import POSTGRES, SECTION, env_name, setting, warehouse_engine

SCHEMA = "inbox"
TABLE = f"{SCHEMA}.render_ids"
FOLDER, IN_TABLE = "folder", "table"
CREATE = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    render_id text primary key,
    received_at timestamptz not null default now(),
    claimed_at timestamptz
)
"""


def in_table() -> bool:
    """Whether the inbox is the table; it needs the PostgreSQL warehouse, and says so otherwise."""
    kind = str(setting("inbox")).strip().lower()
    if kind not in (FOLDER, IN_TABLE):
        raise ValueError(
            f"[{SECTION}] inbox (or {env_name('inbox')}) is {kind!r}: set it to {FOLDER} or {IN_TABLE}."
        )
    if kind == IN_TABLE and warehouse_engine() != POSTGRES:
        raise ValueError(
            f"[{SECTION}] inbox = {IN_TABLE!r} keeps the inbox in the PostgreSQL warehouse: "
            f"also set [{SECTION}] warehouse (or {env_name('warehouse')}) to {POSTGRES}, "
            f"or set the inbox back to {FOLDER}."
        )
    return kind == IN_TABLE


def _ensure(con: postgres.Connection) -> None:
    con.execute(f"begin; select pg_advisory_xact_lock({postgres.ADVISORY_LOCK}); {CREATE}; commit")


def append_ids(ids: Iterable[str]) -> None:
    """Insert render ids (checked UUIDs, lower case); one already in the table stays as it was."""
    checked = [i.lower() for i in ids]
    if not all(UUID.fullmatch(i) for i in checked):
        raise ValueError("only render ids (UUIDs) go into the inbox table")
    with postgres.connect() as con:
        _ensure(con)
        for render_id in checked:
            con.execute(f"insert into {TABLE} (render_id) values (?) on conflict do nothing", [render_id])


def claim_new() -> list[str]:
    """The ids no run has been asked for yet, in arrival order, stamped as claimed in one statement."""
    with postgres.connect() as con:
        _ensure(con)
        rows = con.execute(
            f"with new as (select render_id from {TABLE} where claimed_at is null "
            f"order by received_at, render_id for update skip locked) "
            f"update {TABLE} set claimed_at = now() from new where {TABLE}.render_id = new.render_id "
            f"returning {TABLE}.render_id, {TABLE}.received_at"
        ).fetchall()
    return [render_id for render_id, _ in sorted(rows, key=lambda row: (row[1], row[0]))]


def all_ids() -> list[str]:
    """Every id the table holds, for the refresh: renders already settled cost no request."""
    with postgres.connect() as con:
        _ensure(con)
        rows = con.execute(f"select render_id from {TABLE} order by received_at, render_id").fetchall()
    return [render_id for (render_id,) in rows]


def where() -> str:
    """The inbox's place, for messages."""
    return f"the table {TABLE} in the PostgreSQL warehouse"
