"""The code location: assembly only, no network, no secrets."""

import dagster as dg

from . import automation, ingest
from .resources import build_resources

defs = dg.Definitions(
    assets=ingest.assets,
    jobs=automation.jobs,
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=build_resources(),
)
