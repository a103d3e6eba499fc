"""The PostgreSQL warehouse: dlt's credentials for it, and a connection that reads like DuckDB's.

The credentials live where dlt's `postgres` destination looks for them, `[destination.media_assets]
credentials` in .dlt/secrets.toml or DESTINATION__MEDIA_ASSETS__CREDENTIALS, so the loads, the SQL
summaries and `dataset()` read the one value. It is resolved when a run opens the warehouse, never
when the location loads, and no message quotes it.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg
import psycopg2
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from .project import DESTINATION_NAME

SECRET = f"[destination.{DESTINATION_NAME}] credentials"
ENV = f"DESTINATION__{DESTINATION_NAME.upper()}__CREDENTIALS"
# summaries of one warehouse take turns (re)defining the shared usage functions; any fixed number
ADVISORY_LOCK = 7_305_150


def credentials() -> PostgresCredentials:
    """dlt's credentials for the warehouse, or a failure naming where to put them."""
    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", DESTINATION_NAME))
    except ConfigFieldMissingException:
        raise dg.Failure(
            description=(
                f"[media_assets] warehouse is postgres, but no PostgreSQL credentials are set: put "
                f'{SECRET} = "postgresql://user:password@host:5432/database" in .dlt/secrets.toml, '
                f"or set {ENV}."
            )
        ) from None


class Result:
    """A statement's column names and types and its rows, as DuckDB's `execute` gives them."""

    def __init__(self, description: list[tuple[str, str]] | None, rows: list[tuple]) -> None:
        self.description = description
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None


class Connection:
    """A psycopg2 connection with DuckDB's `execute(sql, [params])` and `?` placeholders.

    The usage SQL is written once for both engines; only the placeholder differs between drivers.
    Statements commit on their own unless wrapped in `begin` and `commit`.
    """

    def __init__(self, con: Any) -> None:
        self._con = con
        self._types: dict[int, str] = {}

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Result:
        with self._con.cursor() as cur:
            if parameters:
                cur.execute(sql.replace("%", "%%").replace("?", "%s"), list(parameters))
            else:
                cur.execute(sql)
            if cur.description is None:
                return Result(None, [])
            rows = cur.fetchall()
            description = [(d.name, self._type_name(d.type_code)) for d in cur.description]
        return Result(description, rows)

    def _type_name(self, oid: int) -> str:
        if oid not in self._types:
            with self._con.cursor() as cur:
                cur.execute("select format_type(%s, null)", [oid])
                self._types[oid] = cur.fetchone()[0]
        return self._types[oid]

    def rollback(self) -> None:
        self._con.rollback()


@contextmanager
def connect() -> Iterator[Connection]:
    """A connection to the warehouse, each statement committed unless a `begin` opens a transaction."""
    native = credentials().to_native_representation()
    try:
        con = psycopg2.connect(native, application_name="media-assets")
    except psycopg2.OperationalError as error:
        # psycopg2's own text never quotes the password; the URL is not repeated here
        raise dg.Failure(
            description=f"Could not connect to the PostgreSQL warehouse ({SECRET} / {ENV}): {error}".strip()
        ) from None
    con.autocommit = True
    try:
        yield Connection(con)
    finally:
        con.close()
