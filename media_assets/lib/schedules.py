"""Automation shared by every API: the on/off switch, and schedules that skip when a key is missing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dagster as dg
import dlt

from .errors import key_help
from .naming import Api
from .settings import automation_on

if TYPE_CHECKING:  # dagster does not export the type of define_asset_job's result
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

TIMEZONE = "UTC"
SENSOR_INTERVAL_SECONDS = 15


def sensor_status() -> dg.DefaultSensorStatus:
    """On unless `[media_assets] automation = "off"` (or MEDIA_ASSETS__AUTOMATION=off)."""
    return dg.DefaultSensorStatus.RUNNING if automation_on() else dg.DefaultSensorStatus.STOPPED


def _missing_keys(apis: Sequence[Api]) -> list[str]:
    """Sources whose API key is not set, checked by presence only: the value is never read out."""
    return [api.source for api in apis if not dlt.secrets.get(f"sources.{api.source}.api_key", str)]


def keyed_schedule(
    job: UnresolvedAssetJobDefinition, cron: str, apis: Sequence[Api], description: str
) -> dg.ScheduleDefinition:
    """A schedule that skips, saying which key to set, instead of starting runs bound to fail."""

    @dg.schedule(
        name=f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus(sensor_status().value),
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        missing = _missing_keys(apis)
        if missing:
            return dg.SkipReason(" ".join(f"No API key for {s}. {key_help(s)}" for s in missing))
        return dg.RunRequest()

    return _schedule
