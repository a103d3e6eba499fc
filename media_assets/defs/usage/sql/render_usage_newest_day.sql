-- The newest day of usage.render_usage_daily, every API version together: the figures its
-- materialization records so the UI can plot them run after run. Minutes add up across versions;
-- the failure rate comes from the summed counts through usage.failure_rate, never from averaging
-- the versions' rates. An empty table gives 0 minutes and no rate.
select
    coalesce(sum(minutes_rendered), 0) as minutes_rendered,
    {usage}.failure_rate(sum(renders_failed), sum(renders_done)) as failure_rate
from {usage}.render_usage_daily
where day = (select max(day) from {usage}.render_usage_daily)
