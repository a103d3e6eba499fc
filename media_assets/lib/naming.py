"""The one naming scheme: each API's pipeline, dataset, op and asset keys, derived from its name."""

from dataclasses import dataclass

import dagster as dg

USAGE_GROUP = "usage"


@dataclass(frozen=True)
class Api:
    """Where one API's data goes and what Dagster calls it."""

    name: str

    @property
    def source(self) -> str:
        """The dlt source and its config section, `[sources.<source>]`."""
        return f"{self.name}_source"

    @property
    def pipeline(self) -> str:
        return f"{self.name}_pipeline"

    @property
    def dataset(self) -> str:
        """The warehouse schema that holds this API's tables."""
        return f"{self.name}_data"

    @property
    def op(self) -> str:
        """The @dlt_assets op, as run config addresses it."""
        return self.name

    def key(self, resource: str) -> dg.AssetKey:
        return dg.AssetKey([self.name, resource])

    def run_config(self, **config: object) -> dict:
        """Run config for this API's op."""
        return {"ops": {self.op: {"config": config}}}


PICSART = Api("picsart")
SHOTSTACK = Api("shotstack")
APIS = (PICSART, SHOTSTACK)

BALANCE = PICSART.key("balance")
RENDERS = SHOTSTACK.key("renders")
ASSETS_BY_RENDER = SHOTSTACK.key("assets_by_render")


def api_of_dataset(dataset: str) -> Api | None:
    """The API whose tables live in `dataset`, so an error can name the asset to materialize."""
    return next((api for api in APIS if api.dataset == dataset), None)
