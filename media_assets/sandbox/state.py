"""What every handler takes: the world, keys, clock, rate limits, faults, latency and request tallies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from media_assets.sandbox.clock import SandboxClock
from media_assets.sandbox.guard import Fault, FaultBook, RateLimiter
from media_assets.sandbox.world import World

DEFAULT_PICSART_KEY = "sandbox-picsart-key"
DEFAULT_SHOTSTACK_KEY = "sandbox-shotstack-key"


class SandboxState:
    """The sandbox's knobs and tallies; `endpoints` are the names faults and latency may target."""

    def __init__(
        self,
        world: World,
        endpoints: tuple[str, ...],
        picsart_key: str = DEFAULT_PICSART_KEY,
        shotstack_key: str = DEFAULT_SHOTSTACK_KEY,
        latency: float = 0.0,
        rate_limit_scale: float = 1.0,
        rate_window_seconds: float = 60.0,
        clock_speed: float = 1.0,
        callback_url: str | None = None,
        shotstack_stage_key: str | None = None,
    ) -> None:
        self.world = world
        self.endpoints = endpoints
        self.picsart_key = picsart_key
        self.shotstack_key = shotstack_key
        self.shotstack_stage_key = shotstack_stage_key
        self.callback_url = callback_url
        self.clock = SandboxClock(world.now, clock_speed)
        self.limiter = RateLimiter(
            window_seconds=rate_window_seconds,
            scale=rate_limit_scale,
            wall_clock=lambda: self.clock.now().timestamp(),
        )
        self.faults = FaultBook()
        # fields every render lookup's answer gains (name -> value) or leaves out: an API that changed
        self.render_fields_added: dict[str, Any] = {}
        self.render_fields_removed: set[str] = set()
        self.counts: Counter[str] = Counter()
        # (endpoint, arrived, answered) on the monotonic clock: which requests overlapped
        self.spans: list[tuple[str, float, float]] = []
        # the headers of the latest request to each named endpoint, so tests can see what clients send
        self.last_headers: dict[str, dict[str, str]] = {}
        self.balance_calls = 0
        self.base_url: str | None = None  # set while serving
        self._latency: dict[str | None, float] = {None: latency}

    def shotstack_key_for(self, version: str) -> str:
        """Shotstack issues a key per environment; without a stage key, one key serves both."""
        if version == "stage" and self.shotstack_stage_key is not None:
            return self.shotstack_stage_key
        return self.shotstack_key

    def set_fault(self, endpoint: str, fault: Fault) -> None:
        """Inject `fault` on a named endpoint (one of `endpoints`)."""
        if endpoint not in self.endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {', '.join(self.endpoints)}")
        self.faults.set(endpoint, fault)

    def clear_faults(self) -> None:
        """Remove every injected fault, changed render fields included."""
        self.faults.clear()
        self.render_fields_added = {}
        self.render_fields_removed = set()

    def drift_renders(self, add: Mapping[str, Any] | None = None, remove: Iterable[str] = ()) -> None:
        """Answer every render lookup with the fields in `add` added and those in `remove` left out,
        as an API that changed its answer without notice does."""
        self.render_fields_added = dict(add or {})
        self.render_fields_removed = set(remove)

    def set_latency(self, seconds: float, endpoint: str | None = None) -> None:
        """Delay responses globally, or for one endpoint (which then ignores the global)."""
        if endpoint is not None and endpoint not in self.endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        self._latency[endpoint] = seconds

    def clear_latency(self) -> None:
        """No added delay anywhere: the global and every per-endpoint delay back to zero."""
        self._latency = {None: 0.0}

    def latency_for(self, endpoint: str) -> float:
        """The delay that applies to `endpoint`."""
        return self._latency.get(endpoint, self._latency[None])

    def reset_counts(self) -> None:
        """Forget request counts, the headers last seen and the rate limiter's log."""
        self.counts.clear()
        self.spans.clear()
        self.last_headers.clear()
        self.limiter.log.clear()
