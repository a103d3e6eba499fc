"""One plain dlt load of Shotstack renders, paced by the project's settings: run as a process of its own.

    python -m media_assets_tests.helpers.paced_run <warehouse>

The environment points the source at the sandbox and gives the pace's settings; two of these at
once share the budget in `MEDIA_ASSETS__RATE_LIMIT_STORE`.
"""

import sys

from media_assets.lib import loading
from media_assets.lib.naming import SHOTSTACK
from media_assets.lib.pace import run_pace
from media_assets.lib.warehouse import Warehouse
from media_assets.sources.shotstack import shotstack_source


def main(warehouse: str) -> int:
    pace = run_pace("shotstack", Warehouse(database=warehouse), print)
    pipeline = loading.pipeline(SHOTSTACK, warehouse)
    pipeline.run(shotstack_source(pace=pace).with_resources("renders"))
    print(pace.tally.metadata())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
