"""A world with weeks behind it: hourly credit spend with one top-up, and renders on every day.

The sandbox clock starts at the history's first hour; moving it forward replays the weeks: the
balance follows its timeline, and each render is queued, works and ends at its own times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from media_assets.sandbox.generate import WorldSize, random_edit
from media_assets.sandbox.world import World

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class History:
    """How the weeks go: the opening balance, the spend per busy hour, the top-up, renders a day."""

    days: int = 21
    opening_credits: int = 12000
    # credits spent in one working hour (08:00 to 20:00 UTC); a quiet hour spends a tenth of it
    spend_per_hour: tuple[int, int] = (10, 60)
    top_up: int = 10000
    renders_per_day: tuple[int, int] = (2, 6)
    failed_share: float = 0.15

    def top_up_day(self) -> int:
        """The day the top-up lands: half-way through, at 09:00."""
        return self.days // 2


def history_world(seed: int, end: datetime, history: History | None = None) -> World:
    """A seeded world whose clock starts `history.days` before `end`, with the weeks laid out.

    Catalogues come from the usual generator; renders and the balance are spread over the days.
    """
    history = history or History()
    start = (end - history.days * DAY).replace(minute=0, second=0, microsecond=0)
    world = World.generate(seed, WorldSize(renders_v1=0, renders_stage=0), now=start)
    rng = random.Random(f"history/{seed}")
    world.picsart.balance_timeline = _balance(rng, start, history)
    for day in range(history.days):
        for _ in range(rng.randint(*history.renders_per_day)):
            created = start + day * DAY + timedelta(seconds=rng.randint(0, 86399))
            world.add_render(
                random_edit(rng),
                "v1",
                created,
                render_time_ms=rng.randint(5000, 240000),
                final_status="failed" if rng.random() < history.failed_share else "done",
            )
    return world


def _balance(rng: random.Random, start: datetime, history: History) -> list[tuple[datetime, int]]:
    """The balance after every hour of the history: spend by the hour, one top-up."""
    credits = history.opening_credits
    timeline = [(start, credits)]
    top_up_at = start + history.top_up_day() * DAY + 9 * HOUR
    for hour in range(1, history.days * 24 + 1):
        moment = start + hour * HOUR
        busy = 8 <= moment.hour < 20
        spend = rng.randint(*history.spend_per_hour)
        credits = max(0, credits - (spend if busy else spend // 10))
        if moment == top_up_at:
            credits += history.top_up
        timeline.append((moment, credits))
    return timeline
