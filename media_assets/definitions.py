"""The code location: the `defs/` folder, loaded when Dagster asks for it, never at import."""

from pathlib import Path

import dagster as dg

from .lib import project


@dg.definitions
def defs() -> dg.Definitions:
    """Every asset, check, sensor, schedule and resource under `defs/`, with this project's dlt settings."""
    project.activate()
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
