"""The code location: assembly only, no network, no secrets."""

import dagster as dg

from . import automation, ingest, usage
from .resources import build_resources

defs = dg.Definitions(
    assets=[*ingest.assets, *usage.assets],
    asset_checks=usage.checks,
    jobs=automation.jobs,
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=build_resources(),
)
