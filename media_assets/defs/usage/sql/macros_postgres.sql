-- PostgreSQL's spelling of macros.sql (a SQL function instead of a DuckDB macro): keep the two
-- figures the same. Summaries run at once on PostgreSQL, so each (re)defines them in a transaction
-- that waits for the others' (an advisory lock), not beside them.
begin;
select pg_advisory_xact_lock({lock});
create schema if not exists {usage};

-- The failed share of the renders that finished (done or failed); null when none finished.
create or replace function {usage}.failure_rate(failed numeric, done numeric) returns double precision
    language sql immutable
    return cast(failed as double precision) / nullif(done + failed, 0);
commit;
