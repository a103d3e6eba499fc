"""How a run executes: one step at a time, each in its own process.

Every step of this location opens the one DuckDB file. The writers' pool keeps runs apart in the
run queue (`granularity: run` in dagster_home/dagster.yaml, so a waiting run costs no process);
with that granularity Dagster no longer holds steps of one run apart, so the executor does.
"""

import dagster as dg

EXECUTOR = dg.multiprocess_executor.configured({"max_concurrent": 1}, name="one_step_at_a_time")


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(executor=EXECUTOR)
