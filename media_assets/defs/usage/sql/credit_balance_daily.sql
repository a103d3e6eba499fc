-- One row per UTC day from the first to the newest Picsart balance snapshot, gaps included.
-- The change between two consecutive snapshots is booked on the later snapshot's day: a decrease is
-- credits spent, an increase is a top-up (never negative spend), so on every day
-- closing_credits = opening_credits - credits_spent + credits_topped_up.
with snapshots as (
    select
        cast(taken_at at time zone 'UTC' as date) as day,
        row_number() over (order by taken_at, _dlt_load_id) as seq,
        credits,
        credits - lag(credits) over (order by taken_at, _dlt_load_id) as change
    from {picsart}.balance
),

per_day as (
    select
        day,
        count(*) as snapshots,
        arg_min(credits - coalesce(change, 0), seq) as opening_credits,
        arg_max(credits, seq) as closing_credits,
        sum(greatest(-coalesce(change, 0), 0)) as credits_spent,
        sum(greatest(coalesce(change, 0), 0)) as credits_topped_up
    from snapshots
    group by day
),

calendar as (
    select unnest(generate_series(min(day), max(day), interval 1 day))::date as day
    from per_day
),

filled as (
    select
        calendar.day,
        coalesce(per_day.snapshots, 0) as snapshots,
        -- a day without snapshots opens and closes at the last known balance
        last_value(per_day.closing_credits ignore nulls) over running as closing_credits,
        coalesce(per_day.opening_credits, last_value(per_day.closing_credits ignore nulls) over running)
            as opening_credits,
        coalesce(per_day.credits_spent, 0) as credits_spent,
        coalesce(per_day.credits_topped_up, 0) as credits_topped_up
    from calendar
    left join per_day using (day)
    window running as (order by calendar.day rows between unbounded preceding and current row)
),

burn as (
    select
        *,
        -- mean daily spend over this day and the six before it (fewer at the start of the history)
        avg(credits_spent) over (order by day rows between 6 preceding and current row) as avg_burn_7d
    from filled
)

select
    day,
    cast(snapshots as bigint) as snapshots,
    cast(opening_credits as bigint) as opening_credits,
    cast(closing_credits as bigint) as closing_credits,
    cast(credits_spent as bigint) as credits_spent,
    cast(credits_topped_up as bigint) as credits_topped_up,
    avg_burn_7d,
    -- days until the closing balance is gone at the 7-day burn; null while nothing is being spent
    closing_credits / nullif(avg_burn_7d, 0) as days_of_credit_left
from burn
order by day
