-- Renders created since the one parameter that finished, and the failed share of them: what the
-- check render_failure_rate_below_limit judges. A sliding window on the wall clock, not a UTC day,
-- so it cannot read render_usage_daily; the rate is the same usage.failure_rate.
with finished as (
    select
        count(*) filter (where status = 'done') as renders_done,
        count(*) filter (where status = 'failed') as renders_failed,
        array_agg(id order by id) filter (where status = 'failed') as failed_ids
    from {shotstack}.renders
    where created >= ?
)

select
    renders_done + renders_failed as renders_finished,
    {usage}.failure_rate(renders_failed, renders_done) as failure_rate,
    failed_ids
from finished
