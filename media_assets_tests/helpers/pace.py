"""Pacing tests' helpers: the pace's settings as environment variables, and the sandbox's log judged."""

from collections.abc import Mapping

# (monotonic time, bucket, allowed), as the sandbox's rate limiter logs each counted call
Call = tuple[float, str, bool]


def pace_env(window: float, run_seconds: float, limits: Mapping[str, int], **more: str) -> dict[str, str]:
    """[media_assets] pacing settings: window, time budget, and limits by setting name."""
    env = {
        "MEDIA_ASSETS__RATE_WINDOW_SECONDS": str(window),
        "MEDIA_ASSETS__RUN_SECONDS": str(run_seconds),
        **{f"MEDIA_ASSETS__RATE_LIMITS__{name.upper()}": str(limit) for name, limit in limits.items()},
    }
    return {**env, **{f"MEDIA_ASSETS__{name.upper()}": value for name, value in more.items()}}


def busiest_window(log: list[Call], bucket: str, window: float) -> int:
    """The most calls to `bucket` that arrived within any `window` seconds, refused ones included."""
    times = sorted(t for t, b, _ in log if b == bucket)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def refused(log: list[Call]) -> int:
    """429s the sandbox's limits answered."""
    return sum(not allowed for *_, allowed in log)
