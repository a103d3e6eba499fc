"""The code location: assembly only, no I/O, no secrets, no network."""

import dagster as dg

from . import ingest
from .resources import build_resources

defs = dg.Definitions(assets=ingest.assets, resources=build_resources())
