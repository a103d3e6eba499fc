-- One row per UTC day and Shotstack API version (v1, stage): the 'day' grain of render_usage.sql,
-- where every figure is defined. A render counts on the day it was created, a hosted file on the
-- day it was created, so a day with files and no renders has a row too.
with render_usage as ({render_usage})

select
    day,
    version,
    renders,
    renders_done,
    renders_failed,
    renders_in_progress,
    minutes_rendered,
    mean_render_seconds,
    p95_render_seconds,
    render_time_ratio,
    failure_rate,
    hosted_assets
from render_usage
where grain = 'day'
order by day, version
