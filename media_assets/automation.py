"""Sensors and schedules that keep render tracking and the other loads up to date without a human."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import dagster as dg
import dlt

from .errors import key_help
from .inbox import scan
from .settings import automation_on, inbox_dir

if TYPE_CHECKING:  # dagster does not export the type of define_asset_job's result
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

RENDERS = dg.AssetKey(["shotstack", "renders"])
ASSETS_BY_RENDER = dg.AssetKey(["shotstack", "assets_by_render"])
TIMEZONE = "UTC"
SENSOR_INTERVAL_SECONDS = 15


def _default_status() -> dg.DefaultSensorStatus:
    """On unless `[media_assets] automation = "off"` (or MEDIA_ASSETS__AUTOMATION=off)."""
    return dg.DefaultSensorStatus.RUNNING if automation_on() else dg.DefaultSensorStatus.STOPPED


def _schedule_status() -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus(_default_status().value)


def shotstack_config(**config: object) -> dict:
    return {"ops": {"shotstack": {"config": config}}}


track_renders = dg.define_asset_job(
    "track_renders", selection=dg.AssetSelection.assets(RENDERS), description="Look up render ids."
)
refresh_renders = dg.define_asset_job(
    "refresh_renders",
    selection=dg.AssetSelection.assets(RENDERS, ASSETS_BY_RENDER),
    description="Look up unfinished renders again, then hosted files not yet settled.",
)
fetch_render_files = dg.define_asset_job(
    "fetch_render_files",
    selection=dg.AssetSelection.assets(ASSETS_BY_RENDER).downstream(),
    description="Hosted files of renders that just finished, and everything built on them.",
)
balance_job = dg.define_asset_job(
    "refresh_balance", selection=dg.AssetSelection.assets(["picsart", "balance"])
)
catalogue_job = dg.define_asset_job(
    "refresh_catalogue",
    selection=dg.AssetSelection.assets(
        ["shotstack", "templates"],
        ["shotstack", "ingest_sources"],
        ["picsart", "effects"],
        ["picsart", "ai_effects"],
    ),
)


@dg.sensor(
    job=track_renders, minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=_default_status()
)
def render_inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """New render ids dropped in the inbox: one run looks up exactly those."""
    found = scan(inbox_dir(), context.cursor)
    for problem in found.problems:
        context.log.warning(problem)
    if not found.new_ids:
        context.update_cursor(found.cursor)
        return dg.SkipReason(f"No new render ids in {inbox_dir()}")
    run_key = "inbox-" + hashlib.sha1(",".join(found.new_ids).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, run_config=shotstack_config(render_ids=found.new_ids))],
        cursor=found.cursor,
    )


@dg.asset_sensor(
    asset_key=RENDERS,
    job=fetch_render_files,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=_default_status(),
)
def finished_renders_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """Renders that just reached `done`: fetch their hosted files, and what depends on them, once."""
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RENDERS, after_storage_id=after), limit=1000, ascending=True
    ).records
    requested = False
    for record in records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        done = metadata.get("renders_done")
        ids = list(done.value) if done is not None else []
        if ids:
            requested = True
            yield dg.RunRequest(
                run_key=f"finished-renders-{record.storage_id}",
                run_config=shotstack_config(asset_render_ids=ids),
            )
    if not requested:
        yield dg.SkipReason("No render reached done in the new materializations")


def _missing_keys(sources: tuple[str, ...]) -> list[str]:
    """Sources whose API key is not set, checked by presence only: the value is never read out."""
    return [s for s in sources if not dlt.secrets.get(f"sources.{s}.api_key", str)]


def _keyed_schedule(
    job: UnresolvedAssetJobDefinition, cron: str, sources: tuple[str, ...], description: str
) -> dg.ScheduleDefinition:
    """A schedule that skips, saying which key to set, instead of starting runs bound to fail."""

    @dg.schedule(
        name=f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TIMEZONE,
        default_status=_schedule_status(),
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        missing = _missing_keys(sources)
        if missing:
            return dg.SkipReason(" ".join(f"No API key for {s}. {key_help(s)}" for s in missing))
        return dg.RunRequest()

    return _schedule


schedules = [
    _keyed_schedule(
        refresh_renders,
        "*/10 * * * *",
        ("shotstack_source",),
        "Every 10 minutes: renders not yet looked up or finished, and their hosted files.",
    ),
    _keyed_schedule(balance_job, "0 * * * *", ("picsart_source",), "Hourly: a Picsart balance snapshot."),
    _keyed_schedule(
        catalogue_job,
        "0 6 * * *",
        ("picsart_source", "shotstack_source"),
        "Daily at 06:00 UTC: templates, ingested sources and effects.",
    ),
]
# Dagster's default automation sensor starts stopped; this one runs the usage summaries' conditions
usage_automation_sensor = dg.AutomationConditionSensorDefinition(
    "usage_automation_sensor",
    target=dg.AssetSelection.groups("usage"),
    default_status=_default_status(),
    minimum_interval_seconds=30,
)
sensors = [render_inbox_sensor, finished_renders_sensor, usage_automation_sensor]
jobs = [track_renders, refresh_renders, fetch_render_files, balance_job, catalogue_job]
