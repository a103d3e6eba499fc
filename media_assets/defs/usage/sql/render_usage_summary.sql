-- Whole-period render totals: one row per API version plus a first row, version 'all', for both
-- together. The 'version' and 'all' grains of render_usage.sql, which also defines the daily rows;
-- hosted_assets counts every file of the version's renders, whatever day it was created.
with render_usage as ({render_usage})

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
    failure_rate,
    hosted_assets
from render_usage
where grain in ('version', 'all')
order by grain <> 'all', version
