"""The project's assets and checks under the executor it used before, for `materialize_all.py` only.

Every step in a process of its own, one at a time: what "Materialize all" cost before the runs
moved to the in-process executor (media_assets/defs/execution.py).
"""

import dagster as dg

# the module, not its function: Dagster refuses two @definitions functions in one module's scope
from media_assets import definitions as project

ONE_STEP_PROCESS_AT_A_TIME = dg.multiprocess_executor.configured({"max_concurrent": 1}, name="before")


@dg.definitions
def defs() -> dg.Definitions:
    loaded = project.defs()
    return dg.Definitions(
        assets=loaded.assets,
        asset_checks=loaded.asset_checks,
        resources=loaded.resources,
        executor=ONE_STEP_PROCESS_AT_A_TIME,
    )
