"""Injected faults and fixed-window rate limits, both keyed by endpoint or bucket name."""

from __future__ import annotations

import math
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

# 429 and 5xx are the transient failures; 400-404 stand for a service that refuses or lacks
# an endpoint (e.g. a brief-only Picsart path the real API does not publish); 402 is Picsart
# out of credits; "malformed" is a body cut off mid-object; "wrong_content_type" is a 200 HTML page
# (a login portal or a proxy's error page in front of the API); "text_numbers" is the real answer
# with every number as text that no number parser reads ("12.5s"), an API that changed a type
TEXT_NUMBERS = "text_numbers"
WRONG_CONTENT_TYPE = "wrong_content_type"
FAULT_KINDS = (400, 401, 402, 403, 404, 429, 500, 502, 503, "malformed", WRONG_CONTENT_TYPE, TEXT_NUMBERS)


@dataclass
class Fault:
    """A failure to inject: `share` of calls (seeded draw), at most `count` times in all."""

    kind: int | str
    share: float = 1.0
    count: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {FAULT_KINDS}, got {self.kind!r}")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError("fault share must be within [0, 1]")


@dataclass
class _Armed:
    """A fault plus its own RNG and tally, so its draws do not depend on other traffic."""

    fault: Fault
    rng: random.Random
    injected: int = 0


class FaultBook:
    """Faults per endpoint name; `draw` says which fault (if any) hits the next call."""

    def __init__(self) -> None:
        self._armed: dict[str, _Armed] = {}
        self._lock = threading.Lock()

    def set(self, endpoint: str, fault: Fault) -> None:
        """Arm `fault` on `endpoint`, replacing any earlier one and restarting its draws."""
        with self._lock:
            self._armed[endpoint] = _Armed(fault, random.Random(zlib.crc32(endpoint.encode())))

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._armed.clear()

    def injected(self) -> dict[str, int]:
        """How many times each armed endpoint's fault has hit since it was armed."""
        with self._lock:
            return {endpoint: armed.injected for endpoint, armed in self._armed.items()}

    def draw(self, endpoint: str) -> Fault | None:
        """The fault to inject on this call, counting it against the fault's budget."""
        with self._lock:
            armed = self._armed.get(endpoint)
            if armed is None:
                return None
            if armed.fault.count is not None and armed.injected >= armed.fault.count:
                return None
            if armed.rng.random() >= armed.fault.share:
                return None
            armed.injected += 1
            return armed.fault


@dataclass
class _Window:
    """One bucket's current fixed window."""

    started: float
    used: int = 0


@dataclass
class RateState:
    """What a rate check found: whether the call is allowed, and the numbers for headers."""

    allowed: bool
    limit: int
    available: int
    reset_epoch: int


@dataclass
class RateLimiter:
    """Fixed windows on the monotonic clock: a sandbox clock jump never refills a bucket.

    `wall_clock` (epoch seconds) only dates the reset, so it can be the sandbox clock that
    the Date header shows, and a client comparing the two sees the real wait. `log` keeps every
    counted call as (monotonic time, bucket, allowed), so tests and benchmarks can judge a
    client's pace against any window, not only the windows this limiter happened to start.
    """

    window_seconds: float = 60.0
    scale: float = 1.0
    wall_clock: Callable[[], float] = time.time
    log: list[tuple[float, str, bool]] = field(default_factory=list)
    _windows: dict[str, _Window] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def limit_for(self, base_limit: int) -> int:
        """The publisher's limit scaled down for tests, never below one call."""
        return max(1, round(base_limit * self.scale))

    def check(self, bucket: str, base_limit: int, consume: bool = True) -> RateState:
        """Count one call against `bucket` (unless `consume` is false) and report the state."""
        limit = self.limit_for(base_limit)
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(bucket)
            if window is None or now - window.started >= self.window_seconds:
                window = self._windows[bucket] = _Window(started=now)
            allowed = window.used < limit
            if consume:
                self.log.append((now, bucket, allowed))
                window.used += allowed
            left = window.started + self.window_seconds - now
        reset = math.ceil(self.wall_clock() + left)  # never before the window ends
        return RateState(allowed, limit, max(0, limit - window.used), reset)
