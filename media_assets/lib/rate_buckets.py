"""Where the rate-limit budget lives: one SQLite file every process on this machine shares, or the
PostgreSQL warehouse every machine shares.

Each bucket (an account's hashed key and an API's bucket, such as `3f2a….edit/v1`) is a table of
the store, so two runs at once, started by the sensors and the schedule, on one machine or on
several, take permits from one budget. Only this module knows the storage.
"""

import atexit
import hashlib
import re
import threading
import time
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from pyrate_limiter import Limiter, Rate, SQLiteBucket
from pyrate_limiter.buckets.postgres import PostgresBucket

from ..sources.pacing import permit_window_ms
from .warehouse import ensure_parent_dir

# the store that is the PostgreSQL warehouse itself, rather than a SQLite file
IN_POSTGRES = "postgres"

# how often a process waiting for another process's hold on the store asks again; filelock's default
# (50 ms) cost a round of 32 requests that long whenever Edit and Serve asked at the same moment
CROSS_PROCESS_POLL_SECONDS = 0.001

_limiters: dict[tuple[str, str, int, int], Limiter] = {}
_store_locks: dict[str, "StoreLock"] = {}
_pools: dict[str, Any] = {}
_lock = threading.Lock()


class StoreLock:
    """One SQLite store's lock for every bucket in it: threads of this process queue on a thread lock,
    and only its holder takes the file lock other processes share. pyrate-limiter gives each bucket a
    file lock of its own, and two of them in one process exclude each other only by polling the file.

    Reentrant, as the limiter holds it around the bucket's own `with bucket.lock`.
    """

    def __init__(self, path: str) -> None:
        self._threads = threading.RLock()
        # not thread-local: only the holder of `_threads` ever reaches it
        self._file = FileLock(path, thread_local=False, poll_interval=CROSS_PROCESS_POLL_SECONDS)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        started = time.monotonic()
        if not self._threads.acquire(blocking, timeout):
            return False
        left = -1 if timeout == -1 else max(timeout - (time.monotonic() - started), 0.0)
        try:
            self._file.acquire(timeout=left if blocking else 0)
        except Timeout:
            self._threads.release()
            return False
        return True

    def release(self) -> None:
        self._file.release()
        self._threads.release()

    def __enter__(self) -> "StoreLock":
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def close_all() -> None:
    """Stop every limiter's leaking thread, then close the pools: a pool left open keeps
    reconnecting in the background after its database has gone, and a leaker keeps querying it.
    The next `limiter()` call makes them anew."""
    with _lock:
        for made in _limiters.values():
            made.close()
        _limiters.clear()
        for pool in _pools.values():
            pool.close()
        _pools.clear()


atexit.register(close_all)


def _postgres_bucket(dsn: str, table: str, rate: Rate) -> PostgresBucket:
    """A bucket in the warehouse's database, one connection pool per database."""
    from psycopg_pool import ConnectionPool

    if dsn not in _pools:
        _pools[dsn] = ConnectionPool(dsn, min_size=1, max_size=4, open=True)
    return PostgresBucket(_pools[dsn], table, [rate])


def limiter(store: Path | str, bucket: str, limit: int, window_seconds: float) -> Limiter:
    """The limiter of `bucket` in the shared `store` (a SQLite file, or `IN_POSTGRES`), made once per
    process and store."""
    window_ms = permit_window_ms(window_seconds)
    dsn = None
    if store == IN_POSTGRES:
        from . import postgres

        # dlt's credentials for the warehouse; the key below holds a digest of them, never the value
        dsn = postgres.credentials().to_native_representation()
        store = f"{IN_POSTGRES}:{hashlib.sha256(dsn.encode()).hexdigest()[:16]}"
    key = (str(store), bucket, limit, window_ms)
    with _lock:
        if key not in _limiters:
            table = re.sub(r"\W", "_", bucket)  # one table per bucket, whatever limit each run keeps
            rate = Rate(limit, window_ms)
            if dsn is not None:
                _limiters[key] = Limiter(_postgres_bucket(dsn, table, rate))
            else:
                path = str(ensure_parent_dir(store))
                made = SQLiteBucket.init_from_file([rate], table=table, db_path=path, use_file_lock=True)
                if path not in _store_locks:
                    _store_locks[path] = StoreLock(path + ".lock")
                shared = _store_locks[path]
                _limiters[key] = Limiter(SQLiteBucket([rate], made.conn, table, lock=shared))
        return _limiters[key]
