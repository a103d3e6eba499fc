-- One row per UTC day and Shotstack API version (v1, stage). A render counts on the day it was
-- created; a hosted file on the day it was created, under its render's version. Output minutes and
-- timings cover done renders only: a failed render reports a render time but leaves no output.
-- render_time is in milliseconds and duration in seconds.
with renders as (
    select
        cast(created at time zone 'UTC' as date) as day,
        version,
        status,
        duration,
        render_time / 1000.0 as render_seconds
    from {shotstack}.renders
),

render_days as (
    select
        day,
        version,
        count(*) as renders,
        count(*) filter (where status = 'done') as renders_done,
        count(*) filter (where status = 'failed') as renders_failed,
        count(*) filter (where status not in ('done', 'failed')) as renders_in_progress,
        coalesce(sum(duration) filter (where status = 'done'), 0) / 60 as minutes_rendered,
        avg(render_seconds) filter (where status = 'done') as mean_render_seconds,
        quantile_cont(render_seconds, 0.95) filter (where status = 'done') as p95_render_seconds,
        sum(render_seconds) filter (where status = 'done')
            / nullif(sum(duration) filter (where status = 'done'), 0) as render_time_ratio
    from renders
    group by day, version
),

asset_days as (
    select
        cast(assets.created at time zone 'UTC' as date) as day,
        renders.version,
        count(*) as hosted_assets
    from {shotstack}.assets_by_render as assets
    join {shotstack}.renders as renders on renders.id = assets.render_id
    group by 1, 2
)

select
    day,
    version,
    coalesce(renders, 0) as renders,
    coalesce(renders_done, 0) as renders_done,
    coalesce(renders_failed, 0) as renders_failed,
    coalesce(renders_in_progress, 0) as renders_in_progress,
    coalesce(minutes_rendered, 0) as minutes_rendered,
    mean_render_seconds,
    p95_render_seconds,
    render_time_ratio,
    {usage}.failure_rate(renders_failed, renders_done) as failure_rate,
    coalesce(hosted_assets, 0) as hosted_assets
from render_days
full join asset_days using (day, version)
order by day, version
