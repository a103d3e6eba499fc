"""Where the rate-limit budget lives: one SQLite file every process on this machine shares, or the
PostgreSQL warehouse every machine shares.

Each bucket (an account's hashed key and an API's bucket, such as `3f2a….edit/v1`) is a table of
the store, so two runs at once, started by the sensors and the schedule, on one machine or on
several, take permits from one budget. Only this module knows the storage.
"""

import re
import threading
from pathlib import Path

from pyrate_limiter import Limiter, Rate, SQLiteBucket
from pyrate_limiter.buckets.postgres import PostgresBucket

from ..sources.pacing import permit_window_ms
from .warehouse import ensure_parent_dir

# the store that is the PostgreSQL warehouse itself, rather than a SQLite file
IN_POSTGRES = "postgres"

_limiters: dict[tuple[str, str, int, int], Limiter] = {}
_pools: dict[str, object] = {}
_lock = threading.Lock()


def _postgres_bucket(table: str, rate: Rate) -> PostgresBucket:
    """A bucket in the warehouse's database, on dlt's credentials for it (never logged)."""
    from psycopg_pool import ConnectionPool

    from . import postgres

    if IN_POSTGRES not in _pools:
        dsn = postgres.credentials().to_native_representation()
        _pools[IN_POSTGRES] = ConnectionPool(dsn, min_size=1, max_size=4, open=True)
    return PostgresBucket(_pools[IN_POSTGRES], table, [rate])


def limiter(store: Path | str, bucket: str, limit: int, window_seconds: float) -> Limiter:
    """The limiter of `bucket` in the shared `store` (a SQLite file, or `IN_POSTGRES`), made once per
    process."""
    window_ms = permit_window_ms(window_seconds)
    key = (str(store), bucket, limit, window_ms)
    with _lock:
        if key not in _limiters:
            table = re.sub(r"\W", "_", bucket)  # one table per bucket, whatever limit each run keeps
            rate = Rate(limit, window_ms)
            if store == IN_POSTGRES:
                _limiters[key] = Limiter(_postgres_bucket(table, rate))
            else:
                sqlite = SQLiteBucket.init_from_file(
                    [rate], table=table, db_path=str(ensure_parent_dir(store)), use_file_lock=True
                )
                _limiters[key] = Limiter(sqlite)
        return _limiters[key]
