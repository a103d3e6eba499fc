"""Client-side pacing: every request waits for its bucket's limit, and a 429 waits for the window.

dlt retries a 429 with backoff and reads only `Retry-After`, which neither API sends, so a
backlog larger than one window used to end in deferral. Here each request first takes a permit
from its bucket's limiter (a pyrate-limiter `Limiter`, built by whoever runs the source, so
several processes can share one budget), and a 429 that still arrives (another application on
the same key) waits for the window to end and is sent again: it is never a failure. Only when
the run's time budget is spent does a wait stop short, with `RunTimeSpent` before a request or
the 429 handed to dlt's own retry after one.
"""

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources.helpers.requests.retry import Client
from pyrate_limiter import Limiter, Rate
from requests import PreparedRequest, Response, Session
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429
# a permit's window is this much longer than the API's (a share, at least a floor in seconds, and at
# least the slowest round trip seen so far), so a request that reached the API later than the permit
# was stamped never puts one more call into a window
WINDOW_GUARD = 0.02
WINDOW_GUARD_FLOOR = 0.1
# the guard is widened only when a round trip exceeds it by this much, and never past this share of
# the window: an API slow to answer (not to count) would otherwise cost a large part of its limit
GUARD_STEP_SECONDS = 0.02
GUARD_CAP = 0.1
REPORT_EVERY_SECONDS = 5.0
# a permit is never refused for the time other threads and processes hold the limiter's lock
LOCK_GRACE_SECONDS = 0.25
# a permit taken for a thread that then left (its time ran out) is not handed to another this late; a
# queued thread may wait this long for the GIL among 64 busy threads, and a permit it drops is spent
PERMIT_FRESH_SECONDS = 0.5
# a request's bucket (`picsart`, `edit/v1`, ...); seconds a 429 says to wait, None when it does not say;
# the resource a request serves (`renders`, `templates`, ...), None when no path of the source matches
BucketOf = Callable[[PreparedRequest], str]
WaitHint = Callable[[Response], float | None]
ResourceOf = Callable[[PreparedRequest], str | None]


class RunTimeSpent(RuntimeError):
    """The run's time budget ran out while a request waited for its rate limit."""


def account(key: str) -> str:
    """A name for the key's budget that never reveals the key: a short hash of it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def guard_seconds(window_seconds: float) -> float:
    """The guard before any round trip is known: a share of the window, at least the floor."""
    return max(window_seconds * WINDOW_GUARD, WINDOW_GUARD_FLOOR)


def resource_of(paths: Mapping[str, str]) -> ResourceOf:
    """Which resource a request serves, from each resource's path template (`edit/{version}/render/{id}`):
    resources loading side by side in one dlt run still get each its own count of requests."""
    patterns = [
        (resource, re.compile("(^|/)" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$"))
        for resource, path in paths.items()
    ]

    def match(request: PreparedRequest) -> str | None:
        path = request.path_url.split("?")[0]
        return next((resource for resource, pattern in patterns if pattern.search(path)), None)

    return match


def permit_window_ms(window_seconds: float, guard: float | None = None) -> int:
    """The API's window plus the guard, in milliseconds, as pyrate-limiter counts."""
    return round((window_seconds + max(guard_seconds(window_seconds), guard or 0.0)) * 1000)


def in_memory(bucket: str, limit: int, window_seconds: float) -> Limiter:
    """A limiter of one process only: what a source uses when run on its own."""
    return Limiter(Rate(limit, permit_window_ms(window_seconds)))


class Permits:
    """One bucket's permits for this process's threads, taken from its limiter a batch at a time.

    The thread at the head of the queue takes a permit for itself and one for each thread queued
    behind it, in one call, and those take theirs at once: a budget shared in a file or a database
    is asked once per batch, not once per request, and its lock is not passed around 32 workers.
    A batch is stamped when it is taken, before any of its requests is sent, so the limiter's
    count is never late.

    A request reaches the API some time after its permit is stamped: on a busy machine or network,
    hundreds of milliseconds. When an early request of one window arrives late and a request of the
    next window arrives at once, the API counts both in one window. So the permit window is the
    API's plus a guard no shorter than the slowest round trip seen (`widen`): a request always
    arrives before its answer, so no two calls a window apart can meet in one.
    """

    def __init__(self, limiter: Limiter, bucket: str, limit: int, window_seconds: float) -> None:
        self.limiter, self.bucket, self.limit = limiter, bucket, limit
        self.window_seconds = window_seconds
        self.guard = guard_seconds(window_seconds)
        self._head = threading.Lock()
        self._count = threading.Lock()
        self._wanted = 0.0
        self._queued = 0
        self._spare = 0
        self._spare_at = 0.0

    def take(self, timeout: float) -> float | None:
        """A permit, waiting at most `timeout` seconds (-1: as long as it takes): the monotonic time
        its batch was stamped, or None when the time ran out."""
        with self._count:
            self._queued += 1
        try:
            if not self._head.acquire(timeout=timeout):
                return None
        finally:
            with self._count:
                self._queued -= 1
        try:
            if self._spare and time.monotonic() - self._spare_at < PERMIT_FRESH_SECONDS:
                self._spare -= 1
                return self._spare_at
            self._apply_guard()
            with self._count:
                batch = min(1 + self._queued, self.limit)
            # a whole batch only when the window has room for it now; else one permit, waited for,
            # since a batch waits until all of it is free while single permits free one by one
            if batch == 1 or not self.limiter.try_acquire(self.bucket, weight=batch, timeout=0):
                batch = 1
                if not self.limiter.try_acquire(self.bucket, timeout=timeout):
                    self._spare = 0
                    return None
            self._spare, self._spare_at = batch - 1, time.monotonic()
            return self._spare_at
        finally:
            self._head.release()

    def widen(self, round_trip: float) -> None:
        """Make the guard at least `round_trip` seconds, the time from a stamp to its answer, from
        the next permit on."""
        wanted = min(round_trip, self.window_seconds * GUARD_CAP)
        with self._count:
            self._wanted = max(self._wanted, wanted)

    def _apply_guard(self) -> None:
        """The widened guard, set by the thread at the head of the queue: it alone asks the limiter,
        so the bucket's rates never change under one of its calls. Its stamps stay; only the span
        they are counted in grows."""
        if self._wanted < self.guard + GUARD_STEP_SECONDS:
            return
        self.guard = self._wanted
        rate = Rate(self.limit, permit_window_ms(self.window_seconds, self.guard))
        for bucket in self.limiter.buckets():
            bucket.rates = [rate]


@dataclass
class Tally:
    """What a run's requests cost so far, for progress lines and materialization metadata."""

    requests: int = 0
    throttled: int = 0  # 429s received
    started: float = field(default_factory=time.monotonic)

    def add(self, status: int) -> None:
        self.requests += 1
        self.throttled += status == TOO_MANY_REQUESTS

    def metadata(self, wall: float | None = None) -> dict[str, float | int]:
        """The counts, and the rate over `wall` seconds (by default, since the tally started)."""
        wall = time.monotonic() - self.started if wall is None else wall
        return {
            "requests": self.requests,
            "rate_limited_429s": self.throttled,
            "wall_seconds": round(wall, 2),
            "requests_per_second": round(self.requests / wall, 2) if wall > 0 else 0.0,
        }


@dataclass
class Pace:
    """One run's pacing: limits per bucket, how many requests go at once, the time budget.

    `limits` maps a bucket (`picsart`, `edit/v1`, ...) to its calls per `window_seconds`;
    `limiter_for` builds (or finds) the shared limiter of an account's bucket.
    """

    limits: dict[str, int]
    window_seconds: float = 60.0
    workers: int = 16
    run_seconds: float | None = None
    limiter_for: Callable[[str, int, float], Limiter] = in_memory
    report: Callable[[str], None] = logger.info
    tally: Tally = field(default_factory=Tally)
    by_resource: dict[str, Tally] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reported: float = 0.0
    _ahead: dict[str, Future[Any]] = field(default_factory=dict)
    _permits: dict[str, Permits] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        self.deadline = None if self.run_seconds is None else time.monotonic() + self.run_seconds

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def permits(self, key: str, bucket: str) -> Permits:
        """The bucket's permits, from a limiter built once per run: every request of the run takes
        its permit there."""
        if bucket not in self.limits:
            raise ValueError(f"no rate limit is set for bucket {bucket!r}")
        name = f"{account(key)}.{bucket}"
        with self._lock:
            if name not in self._permits:
                limit = self.limits[bucket]
                limiter = self.limiter_for(name, limit, self.window_seconds)
                self._permits[name] = Permits(limiter, bucket, limit, self.window_seconds)
            return self._permits[name]

    def count(self, status: int, resource: str | None) -> None:
        with self._lock:
            self.tally.add(status)
            if resource is not None:
                self.by_resource.setdefault(resource, Tally()).add(status)

    def spent(self, resource: str) -> Tally:
        """What `resource`'s requests cost so far in this run."""
        with self._lock:
            return self.by_resource.get(resource, Tally())

    def session(
        self,
        key: str,
        base_url: str,
        bucket_of: BucketOf,
        wait_hint: WaitHint,
        resource_of: ResourceOf = lambda _: None,
    ) -> Session:
        """dlt's retrying session for the API at `base_url`, with every attempt paced below the retry
        and counted for its resource.

        requests reads the proxies and the CA bundle from the environment twice for every request,
        walking every variable each time (about 0.45 ms a request with 35 variables, on the workers'
        one GIL); the API has one host, so they are read once, here, and the session then trusts
        only what it holds.
        """
        client = Client(raise_for_status=False, max_connections=self.workers)
        client.update_from_config(resolve_configuration(RuntimeConfiguration()))
        session = client.session
        adapter = PacedAdapter(self, key, bucket_of, wait_hint, resource_of, pool_maxsize=self.workers)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        from_environment = session.merge_environment_settings(base_url, {}, None, None, None)
        session.proxies = from_environment["proxies"]
        session.verify = from_environment["verify"]
        session.trust_env = False
        return session

    def ahead(self, name: str, call: Callable[[], Any]) -> None:
        """Start `call` now on workers of its own, for `take(name)` later in the step: requests to
        another bucket (Serve) go while this one (Edit) waits for its window."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="ahead")
            self._ahead[name] = self._pool.submit(call)

    def take(self, name: str) -> Future[Any] | None:
        with self._lock:
            return self._ahead.pop(name, None)

    def progress(self, what: str, done: int, total: int, force: bool = False) -> None:
        """A line in the run log every few seconds: done/total, requests, 429s, rate and ETA."""
        now = time.monotonic()
        if not force and now - self._reported < REPORT_EVERY_SECONDS:
            return
        self._reported = now
        wall = max(now - self.tally.started, 1e-9)
        rate = done / wall
        eta = f"{(total - done) / rate:.0f} s" if rate > 0 and done < total else "-"
        self.report(
            f"{what}: {done}/{total} done, {self.tally.requests} requests, {self.tally.throttled} 429s, "
            f"{self.tally.requests / wall:.1f} requests/s, ETA {eta}"
        )


class PacedAdapter(HTTPAdapter):
    """Takes a permit before each request; waits out a 429 and sends it again."""

    def __init__(
        self,
        pace: Pace,
        key: str,
        bucket_of: BucketOf,
        wait_hint: WaitHint,
        resource_of: ResourceOf,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.pace, self.key, self.bucket_of, self.wait_hint = pace, key, bucket_of, wait_hint
        self.resource_of = resource_of

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        bucket = self.bucket_of(request)
        resource = self.resource_of(request)
        permits = self.pace.permits(self.key, bucket)
        while True:
            left = self.pace.left()
            timeout = -1 if left is None else max(left, 0.0) + LOCK_GRACE_SECONDS
            stamped = permits.take(timeout)
            if stamped is None:
                raise RunTimeSpent(
                    f"the run's time budget ([media_assets] run_seconds, {self.pace.run_seconds:g} s) "
                    f"ran out while {request.path_url.split('?')[0]} waited for the {bucket} rate limit"
                )
            response = super().send(request, *args, **kwargs)
            permits.widen(time.monotonic() - stamped)
            self.pace.count(response.status_code, resource)
            if response.status_code != TOO_MANY_REQUESTS:
                return response
            hint = self.wait_hint(response)
            wait = self.pace.window_seconds if hint is None else max(hint, 0.0)
            left = self.pace.left()
            if left is not None and wait > left:
                return response  # no time to wait: dlt's retry, then the caller, decide
            logger.warning("%s answered 429 on bucket %s; waiting %.1f s", request.path_url, bucket, wait)
            response.close()
            time.sleep(wait)
