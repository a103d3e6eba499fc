-- Figures defined once and shared by every usage query: the summaries' SQL, the checks and anyone
-- querying the warehouse. rebuild() (re)creates them in the usage schema before each summary, and a
-- check before it reads one, so the warehouse always holds the definitions of the code that ran.
-- DuckDB spells them as macros; macros_postgres.sql spells the same figures for PostgreSQL.

-- The failed share of the renders that finished (done or failed); null when none finished, since
-- a rate over nothing is undefined rather than 0. The cast keeps the division fractional where
-- integer / integer would truncate.
create or replace macro {usage}.failure_rate(failed, done) as
    cast(failed as double precision) / nullif(done + failed, 0);
