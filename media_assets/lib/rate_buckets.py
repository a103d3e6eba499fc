"""Where the rate-limit budget lives: one SQLite file every process on this machine shares.

Each bucket (an account's hashed key and an API's bucket, such as `3f2a….edit/v1`) is a table of
the file, so two runs at once, started by the sensors and the schedule, take permits from one
budget. Only this module knows the storage: a database-backed bucket for several machines
replaces `limiter` and nothing else.
"""

import re
import threading
from pathlib import Path

from pyrate_limiter import Limiter, Rate, SQLiteBucket

from ..sources.pacing import permit_window_ms
from .warehouse import ensure_parent_dir

_limiters: dict[tuple[str, str, int, int], Limiter] = {}
_lock = threading.Lock()


def limiter(store: Path, bucket: str, limit: int, window_seconds: float) -> Limiter:
    """The limiter of `bucket` in the shared file `store`, made once per process."""
    window_ms = permit_window_ms(window_seconds)
    key = (str(store), bucket, limit, window_ms)
    with _lock:
        if key not in _limiters:
            table = re.sub(r"\W", "_", bucket)  # one table per bucket, whatever limit each run keeps
            rate = Rate(limit, window_ms)
            sqlite = SQLiteBucket.init_from_file(
                [rate], table=table, db_path=str(ensure_parent_dir(store)), use_file_lock=True
            )
            _limiters[key] = Limiter(sqlite)
        return _limiters[key]
