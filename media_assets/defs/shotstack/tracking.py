"""Render tracking without a human: the inbox sensor, the finished-renders sensor and the refresh."""

import hashlib

import dagster as dg

from ...lib import inbox_table
from ...lib.inbox import quarantine, scan
from ...lib.naming import ASSETS_BY_RENDER, RENDERS, SHOTSTACK
from ...lib.schedules import SENSOR_INTERVAL_SECONDS, keyed_schedule, sensor_status
from ...lib.settings import DUCKDB, inbox_dir, warehouse_engine

# render ids per run request: however many arrive at once, each run's config stays near 20 KB
IDS_PER_RUN = 500


def inbox_runs(render_ids: list[str]) -> list[dg.RunRequest]:
    """One run request per IDS_PER_RUN ids, in order; each keyed by its ids, so a repeat is not run twice."""
    requests = []
    for start in range(0, len(render_ids), IDS_PER_RUN):
        ids = render_ids[start : start + IDS_PER_RUN]
        run_key = "inbox-" + hashlib.sha1(",".join(ids).encode()).hexdigest()[:16]
        requests.append(dg.RunRequest(run_key=run_key, run_config=SHOTSTACK.run_config(render_ids=ids)))
    return requests


def files_and_what_follows() -> dg.AssetSelection:
    """What a `fetch_render_files` run materializes, by engine.

    On DuckDB one writer works at a time, so the summaries follow in the same run. On PostgreSQL
    the run would hold the Shotstack pipeline's pool while they ran; there the usage automation
    sensor rebuilds them in runs of their own, beside the next load.
    """
    files = dg.AssetSelection.assets(ASSETS_BY_RENDER)
    return files.downstream() if warehouse_engine() == DUCKDB else files


# materializations of `shotstack/renders` one tick of the finished-renders sensor reads at most
EVENTS_PER_TICK = 1000


def renders_done(event: dg.EventLogEntry) -> list[str]:
    """The renders a materialization of `shotstack/renders` saw reach done."""
    materialization = event.asset_materialization
    done = materialization.metadata.get("renders_done") if materialization else None
    return list(done.value) if done is not None else []


def done_since(context: dg.SensorEvaluationContext, newest: dg.EventLogEntry) -> list[str]:
    """Renders seen reaching done by every renders materialization since the sensor's last tick.

    An asset sensor is handed only the newest event: when a refresh lands after an inbox run and
    before the tick, that refresh's event would hide the renders the inbox run saw finish.
    """
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RENDERS, after_storage_id=after), limit=EVENTS_PER_TICK
    ).records
    done = {render for record in records for render in renders_done(record.event_log_entry)}
    return sorted(done.union(renders_done(newest)))


@dg.definitions
def defs() -> dg.Definitions:
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
        selection=files_and_what_follows(),
        description="Hosted files of renders that just finished, and (on DuckDB) everything built on them.",
    )
    status = sensor_status()

    @dg.sensor(job=track_renders, minimum_interval_seconds=SENSOR_INTERVAL_SECONDS, default_status=status)
    def render_inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        """New render ids dropped in the inbox: runs of at most IDS_PER_RUN look up exactly those."""
        if inbox_table.in_table():
            # claimed rows are stamped in the table: the cursor has nothing to keep
            claimed = inbox_table.claim_new()
            if not claimed:
                return dg.SkipReason(f"No new render ids in {inbox_table.where()}")
            return dg.SensorResult(run_requests=inbox_runs(claimed))
        inbox = inbox_dir()
        found = scan(inbox, context.cursor)
        for problem in found.problems + quarantine(inbox, found.rejected):
            context.log.warning(problem)
        if not found.new_ids:
            context.update_cursor(found.cursor)
            return dg.SkipReason(f"No new render ids in {inbox}")
        return dg.SensorResult(run_requests=inbox_runs(found.new_ids), cursor=found.cursor)

    @dg.asset_sensor(
        asset_key=RENDERS,
        job=fetch_render_files,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=status,
    )
    def finished_renders_sensor(
        context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry
    ) -> dg.RunRequest | dg.SkipReason:
        """Renders just reached done: fetch the files of every done render not settled, and what follows."""
        if not done_since(context, asset_event):
            return dg.SkipReason("No renders materialization since the last tick saw a render reach done")
        return dg.RunRequest(run_key=f"finished-renders-{asset_event.run_id}")

    return dg.Definitions(
        jobs=[track_renders, refresh_renders, fetch_render_files],
        sensors=[render_inbox_sensor, finished_renders_sensor],
        schedules=[
            keyed_schedule(
                refresh_renders,
                "*/10 * * * *",
                (SHOTSTACK,),
                "Every 10 minutes: renders not yet looked up or finished, and their hosted files.",
            )
        ],
    )
