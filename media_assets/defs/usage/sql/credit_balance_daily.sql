-- One row per UTC day from the first to the newest Picsart balance snapshot, gaps included.
-- The change between two consecutive snapshots is booked on the later snapshot's day: a decrease is
-- credits spent, an increase is a top-up (never negative spend), so on every day
-- closing_credits = opening_credits - credits_spent + credits_topped_up.
-- Written once for DuckDB and PostgreSQL: standard SQL only (no arg_min, no IGNORE NULLS).
with recursive snapshots as (
    select
        cast(taken_at at time zone 'UTC' as date) as day,
        row_number() over (order by taken_at, _dlt_load_id) as seq,
        credits,
        credits - lag(credits) over (order by taken_at, _dlt_load_id) as change
    from {picsart}.balance
),

ranked as (
    select
        *,
        min(seq) over (partition by day) as first_seq,
        max(seq) over (partition by day) as last_seq
    from snapshots
),

per_day as (
    select
        day,
        count(*) as snapshots,
        max(case when seq = first_seq then credits - coalesce(change, 0) end) as opening_credits,
        max(case when seq = last_seq then credits end) as closing_credits,
        sum(greatest(-coalesce(change, 0), 0)) as credits_spent,
        sum(greatest(coalesce(change, 0), 0)) as credits_topped_up
    from ranked
    group by day
),

calendar (day) as (
    select min(day) from per_day
    union all
    select cast(day + interval '1 day' as date) from calendar where day < (select max(day) from per_day)
),

days as (
    select
        calendar.day,
        per_day.snapshots,
        per_day.opening_credits,
        per_day.closing_credits,
        per_day.credits_spent,
        per_day.credits_topped_up,
        -- days since the last snapshot share its number, and so its closing balance
        count(per_day.day) over (order by calendar.day) as known
    from calendar
    left join per_day on per_day.day = calendar.day
),

filled as (
    select
        day,
        coalesce(snapshots, 0) as snapshots,
        -- a day without snapshots opens and closes at the last known balance
        max(closing_credits) over (partition by known) as closing_credits,
        coalesce(opening_credits, max(closing_credits) over (partition by known)) as opening_credits,
        coalesce(credits_spent, 0) as credits_spent,
        coalesce(credits_topped_up, 0) as credits_topped_up
    from days
),

burn as (
    select
        *,
        -- mean daily spend over this day and the six before it (fewer at the start of the history)
        avg(cast(credits_spent as double precision))
            over (order by day rows between 6 preceding and current row) as avg_burn_7d
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
    cast(closing_credits as double precision) / nullif(avg_burn_7d, 0) as days_of_credit_left
from burn
order by day
