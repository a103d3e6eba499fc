"""The sandbox clock: world time that runs at a chosen speed and can be jumped forward."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta


class SandboxClock:
    """Aware UTC time starting at the world's `now`, so render progress is reproducible.

    Tests jump it with `advance` instead of sleeping; `speed` lets a demo watch renders finish.
    """

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Current sandbox time: start + speed x elapsed real time + all advances."""
        with self._lock:
            elapsed = (time.monotonic() - self._origin) * self._speed + self._offset
        return self._start + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> datetime:
        """Jump forward (never back, so statuses only move forward) and return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
