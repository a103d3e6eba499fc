"""The demo's weeks of history: the sandbox clock moved hour by hour, and a Dagster run every day.

Each hour the balance is read through the real Picsart source (the hourly schedule's work, done
here with dlt alone, since a Dagster run an hour would take minutes per simulated day). On each of
the last days, the day's renders are tracked and a run materializes the balance, the renders, their
files and the usage summaries, so the UI plots the figures run after run.
"""

import json
import os
from collections.abc import Callable

import dagster as dg
import dlt

from ..lib import loading
from ..lib.naming import ASSETS_BY_RENDER, BALANCE, PICSART, RENDERS, SHOTSTACK, USAGE_GROUP
from ..lib.settings import duckdb_path
from ..sandbox import Sandbox
from ..sources.picsart import picsart_source, settings
from .sandbox_env import source_env

HOUR = 3600
# the last days that end in a Dagster run (about ten seconds each): enough points for the plots
RUN_DAYS = 5
# what a day's run materializes; the summaries' checks come with them
DAILY = dg.AssetSelection.assets(BALANCE, RENDERS, ASSETS_BY_RENDER) | dg.AssetSelection.groups(USAGE_GROUP)


def read_balance_hourly(sandbox: Sandbox, hours: int) -> None:
    """Move the clock an hour at a time, reading the balance after each; load the readings at once.

    Each reading is a call of the real source's `balance` resource; one dlt load takes them all.
    """
    balance = picsart_source().resources["balance"]
    readings = []
    for _ in range(hours):
        sandbox.clock.advance(HOUR)
        readings += list(balance)
    hourly = dlt.resource(
        readings, name="balance", write_disposition="append", columns=settings.BALANCE_COLUMNS
    )
    loading.pipeline(PICSART, duckdb_path()).run(hourly)


def track_renders_so_far(sandbox: Sandbox, version: str) -> None:
    """Point the Shotstack source at the renders created by now, as the inbox would have."""
    now = sandbox.clock.now()
    ids = [r.id for r in sandbox.world.renders if r.version == version and r.created <= now]
    os.environ.update(source_env(SHOTSTACK, render_ids=json.dumps(ids)))


def replay(
    sandbox: Sandbox,
    days: int,
    version: str,
    run: Callable[[dg.AssetSelection | None], dg.ExecuteInProcessResult],
) -> dg.ExecuteInProcessResult:
    """Play `days` days from the clock's start: hourly readings throughout, and on each of the last
    RUN_DAYS days the day's run (everything on the first). Returns the last run's result."""
    run_days = min(days, RUN_DAYS)
    if days > run_days:
        read_balance_hourly(sandbox, 24 * (days - run_days))
    selection = None
    for day in range(days - run_days, days):
        read_balance_hourly(sandbox, 23)
        sandbox.clock.advance(HOUR)
        track_renders_so_far(sandbox, version)
        result = run(selection)
        print(f"  day {day + 1} of {days}, {sandbox.clock.now():%Y-%m-%d %H:%M} UTC: a run")
        if not result.success:
            break
        selection = DAILY
    return result
