-- Every Shotstack render figure, written once, at three grains: 'day' (one row per UTC day and API
-- version), 'version' (one row per version over the whole period) and 'all' (one row for
-- everything, version 'all'). render_usage_daily and render_usage_summary select their rows from
-- here, so a figure cannot mean one thing per day and another in total; a p95 cannot be summed from
-- daily rows, so each grain aggregates the raw rows.
-- A render counts on the UTC day it was created, a hosted file on the UTC day it was created, under
-- its render's version: a day can hold files and no renders. Output minutes and timings cover done
-- renders only: a failed render reports a render time but leaves no output. render_time is in
-- milliseconds and duration in seconds. Standard SQL, the same text on DuckDB and PostgreSQL.
with events as (
    select
        'render' as event,
        cast(created at time zone 'UTC' as date) as day,
        version,
        status,
        duration,
        cast(render_time as double precision) / 1000 as render_seconds
    from {shotstack}.renders

    union all

    -- hosted files whose render is loaded; a file has no status, output or render time of its own
    select
        'hosted file' as event,
        cast(assets.created at time zone 'UTC' as date) as day,
        renders.version,
        cast(null as varchar) as status,
        cast(null as double precision) as duration,
        cast(null as double precision) as render_seconds
    from {shotstack}.assets_by_render as assets
    join {shotstack}.renders as renders on renders.id = assets.render_id
),

totals as (
    select
        case
            when grouping(day) = 0 then 'day'
            when grouping(version) = 0 then 'version'
            else 'all'
        end as grain,
        day,
        case when grouping(version) = 0 then version else 'all' end as version,
        min(day) filter (where event = 'render') as first_day,
        max(day) filter (where event = 'render') as last_day,
        count(*) filter (where event = 'render') as renders,
        count(*) filter (where status = 'done') as renders_done,
        count(*) filter (where status = 'failed') as renders_failed,
        count(*) filter (where event = 'render' and status not in ('done', 'failed'))
            as renders_in_progress,
        coalesce(sum(duration) filter (where status = 'done'), 0) / 60 as minutes_rendered,
        avg(render_seconds) filter (where status = 'done') as mean_render_seconds,
        percentile_cont(0.95) within group (order by render_seconds) filter (where status = 'done')
            as p95_render_seconds,
        sum(render_seconds) filter (where status = 'done')
            / nullif(sum(duration) filter (where status = 'done'), 0) as render_time_ratio,
        count(*) filter (where event = 'hosted file') as hosted_assets
    from events
    group by grouping sets ((day, version), (version), ())
)

select
    grain,
    day,
    version,
    first_day,
    last_day,
    renders,
    renders_done,
    renders_failed,
    renders_in_progress,
    minutes_rendered,
    mean_render_seconds,
    p95_render_seconds,
    render_time_ratio,
    {usage}.failure_rate(renders_failed, renders_done) as failure_rate,
    hosted_assets
from totals
