-- Whole-period render totals: one row per API version plus a first row, version 'all', for both
-- together. Same definitions as render_usage_daily, computed from the raw tables (a p95 cannot be
-- summed from daily rows).
with hosted as (
    select render_id, count(*) as hosted_assets
    from {shotstack}.assets_by_render
    group by render_id
),

renders as (
    select
        cast(renders.created at time zone 'UTC' as date) as day,
        renders.version,
        renders.status,
        renders.duration,
        renders.render_time / 1000.0 as render_seconds,
        coalesce(hosted.hosted_assets, 0) as hosted_assets
    from {shotstack}.renders as renders
    left join hosted on hosted.render_id = renders.id
),

totals as (
    select
        coalesce(version, 'all') as version,
        min(day) as first_day,
        max(day) as last_day,
        count(*) as renders,
        count(*) filter (where status = 'done') as renders_done,
        count(*) filter (where status = 'failed') as renders_failed,
        count(*) filter (where status not in ('done', 'failed')) as renders_in_progress,
        coalesce(sum(duration) filter (where status = 'done'), 0) / 60 as minutes_rendered,
        avg(render_seconds) filter (where status = 'done') as mean_render_seconds,
        quantile_cont(render_seconds, 0.95) filter (where status = 'done') as p95_render_seconds,
        sum(render_seconds) filter (where status = 'done')
            / nullif(sum(duration) filter (where status = 'done'), 0) as render_time_ratio,
        cast(sum(hosted_assets) as bigint) as hosted_assets
    from renders
    group by grouping sets ((version), ())
)

select
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
order by version <> 'all', version
