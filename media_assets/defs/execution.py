"""How a run executes: its steps one after another, in the run's own process.

Every step of this location opens the warehouse, and on DuckDB one process writes the file at a
time, so steps could never overlap anyway. The writers' pool keeps runs apart in the run queue
(`granularity: run` in dagster_home/dagster.yaml, so a waiting run costs no process). In process,
a run pays one interpreter start and one import of the location instead of one per step: "Materialize
all" is one process, not eleven started one after another.
"""

import dagster as dg

EXECUTOR = dg.in_process_executor


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(executor=EXECUTOR)
