"""The benchmark's yardstick: a plain `requests` client, concurrent and paced, that knows only the
sandbox's URLs and the publishers' limits. It shares no code with the project's sources.

It looks up every render on Edit and, as each lookup comes back done, asks Serve for that render's
files, so the two budgets are spent side by side.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

EDIT_PER_WINDOW = {"v1": 300, "stage": 150}
SERVE_PER_WINDOW = {"v1": 600, "stage": 300}


class SlidingLimit:
    """At most `limit` request starts in any stretch of `seconds` (plus 2% and 0.1 s for jitter)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.span = limit, seconds + max(seconds * 0.02, 0.1)
        self.starts: deque[float] = deque()
        self.lock = threading.Lock()

    def take(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.starts and now - self.starts[0] >= self.span:
                    self.starts.popleft()
                if len(self.starts) < self.limit:
                    self.starts.append(now)
                    return
                pause = self.span - (now - self.starts[0])
            time.sleep(pause)


def load(base_url: str, key: str, version: str, ids: list[str], window: float, workers: int = 32) -> dict:
    """Every render and the files of the done ones; returns requests, 429s and wall seconds."""
    edit = SlidingLimit(EDIT_PER_WINDOW[version], window)
    serve = SlidingLimit(SERVE_PER_WINDOW[version], window)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=2 * workers))
    session.headers.update({"x-api-key": key, "Accept": "application/json"})
    tally = {"requests": 0, "429s": 0}
    lock = threading.Lock()

    def get(limit: SlidingLimit, url: str, **params: str) -> dict:
        while True:
            limit.take()
            try:
                answer = session.get(url, params=params, timeout=60)
            except requests.ConnectionError:  # a busy machine's server drops one now and then: again
                continue
            with lock:
                tally["requests"] += 1
                tally["429s"] += answer.status_code == 429
            if answer.status_code != 429:
                answer.raise_for_status()
                return answer.json()
            time.sleep(window)  # no hint: a whole window

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as files, ThreadPoolExecutor(workers) as lookups:

        def lookup(render_id: str) -> None:
            render = get(edit, f"{base_url}/edit/{version}/render/{render_id}", data="false")
            if render["response"]["status"] == "done":
                files.submit(get, serve, f"{base_url}/serve/{version}/assets/render/{render_id}")

        for future in [lookups.submit(lookup, i) for i in ids]:
            future.result()
    return {**tally, "wall_s": time.perf_counter() - started}


def main() -> int:
    """In a process of its own, as the project's loads run: the sandbox's process would otherwise
    share its one GIL with the reference's 64 threads, and slow both (`pace.py` runs this).

        python benchmarks/reference_client.py <base_url> <key> <version> <window> < ids

    Prints one JSON line: requests, 429s, wall seconds.
    """
    base_url, key, version, window = sys.argv[1:5]
    ids = sys.stdin.read().split()
    print(json.dumps(load(base_url, key, version, ids, float(window))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
