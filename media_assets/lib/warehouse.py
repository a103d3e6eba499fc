"""The warehouse: its Dagster resource on either engine, and, on DuckDB, waiting out file locks.

DuckDB lets one process write a file, and any open connection elsewhere, even a read-only one,
blocks that writer. The writers' pool keeps our own runs apart; this covers everyone else: a
DuckDB shell, a notebook, a dashboard reading the warehouse while a load starts. PostgreSQL has
no such limit: there runs load and summarize at once, and neither the pool nor the wait applies.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import dagster as dg
import duckdb
from dlt.common.destination import Destination
from pydantic import Field

from . import postgres
from .errors import causes
from .naming import Api
from .project import DESTINATION_NAME
from .settings import DUCKDB, POSTGRES, lock_wait_seconds, warehouse_engine

# runs that write the DuckDB file share this pool; dagster_home/dagster.yaml gives it one slot
WRITERS_POOL = "duckdb_writers"

# what DuckDB says when another process holds the file
LOCK_CONFLICT = "Could not set lock on file"
FIRST_DELAY, MAX_DELAY = 0.5, 10.0

T = TypeVar("T")


def lock_conflict(error: BaseException) -> str | None:
    """DuckDB's own words when the error comes from another process holding the file, else None."""
    for cause in causes(error):
        text = str(cause)
        start = text.find(LOCK_CONFLICT)
        if start >= 0:
            return text[start:].split(". However")[0]
    return None


def _delays() -> Iterator[float]:
    delay = FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, MAX_DELAY)


def retry_while_locked(
    attempt: Callable[[], T],
    log: logging.Logger | dg.DagsterLogManager,
    wait_seconds: float | None = None,
) -> T:
    """Call `attempt` until no other process holds the warehouse, for up to `wait_seconds`.

    `attempt` must be safe to repeat: each call builds a fresh dlt source, and dlt loads a
    package that a lock stopped half-way before it extracts anything new.
    """
    budget = lock_wait_seconds() if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + budget
    delays = _delays()
    warned = False
    while True:
        try:
            return attempt()
        except Exception as error:
            conflict = lock_conflict(error)
            if conflict is None:
                raise
            if time.monotonic() >= deadline:
                raise dg.Failure(
                    description=(
                        f"The warehouse stayed locked by another process for {budget:.0f}s: {conflict}. "
                        "Close whatever holds it (a DuckDB shell, a notebook) and run again; loads "
                        "that were stopped are kept by dlt and finished by the next run. "
                        "To wait longer, raise [media_assets] lock_wait_seconds in .dlt/config.toml."
                    )
                ) from None
            if not warned:
                log.warning(
                    f"{conflict}; waiting up to {budget:.0f}s for it to close "
                    "([media_assets] lock_wait_seconds). Readers of the warehouse should connect "
                    "briefly and read-only."
                )
                warned = True
            time.sleep(min(next(delays), max(deadline - time.monotonic(), 0.0)))


def ensure_parent_dir(database: str | Path) -> str:
    """Create the warehouse's folder on first use, so a fresh clone needs no setup step."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    return str(database)


def writers_pool(api: Api | None = None) -> str | None:
    """The pool an asset or check runs in, `api`'s loads or (None) the SQL on the warehouse.

    On DuckDB everything that opens the file shares one pool of one slot. On PostgreSQL the SQL
    runs in no pool, and each API's loads in a pool named after its dlt pipeline: a pipeline's
    state (which renders are settled) is one sequence, so two runs of it must not overlap, while
    the two pipelines and the summaries run at once.
    """
    if warehouse_engine() == DUCKDB:
        return WRITERS_POOL
    return api.pipeline if api else None


class Warehouse(dg.ConfigurableResource):
    """Where dlt loads and the SQL assets read: a DuckDB file, or PostgreSQL with dlt's credentials.

    `get_connection` gives a connection with DuckDB's `execute(sql, [params])` on both engines, so
    the usage SQL and the checks are written once. On DuckDB it waits out other processes' holds
    on the file, as the dlt loads do.
    """

    engine: str = Field(default=DUCKDB, description="duckdb or postgres ([media_assets] warehouse)")
    database: str = Field(default="", description="The DuckDB file (DuckDB only)")

    @property
    def is_duckdb(self) -> bool:
        return self.engine == DUCKDB

    def destination(self) -> Destination:
        """dlt's destination for this warehouse; on PostgreSQL dlt reads the credentials itself."""
        if self.is_duckdb:
            return duckdb_destination(self.database)
        postgres.credentials()  # a missing value fails here, naming where it goes
        return Destination.from_reference(POSTGRES, destination_name=DESTINATION_NAME)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection | postgres.Connection]:
        if not self.is_duckdb:
            with postgres.connect() as con:
                yield con
            return
        config = {"custom_user_agent": "media-assets"}
        con = retry_while_locked(
            lambda: duckdb.connect(ensure_parent_dir(self.database), read_only=False, config=config),
            dg.get_dagster_logger(),
        )
        try:
            yield con
        finally:
            con.close()


def duckdb_destination(database: str | Path) -> Destination:
    """dlt's DuckDB destination on `database`, an absolute path, named like the PostgreSQL one."""
    return Destination.from_reference(
        DUCKDB, credentials=ensure_parent_dir(database), destination_name=DESTINATION_NAME
    )
