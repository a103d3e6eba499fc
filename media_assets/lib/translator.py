"""The one naming scheme for dlt assets: key <api>/<resource>, group <api>, kinds, parent→child deps."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from ..sources.picsart import settings as picsart_settings
from ..sources.shotstack import settings as shotstack_settings
from .columns import declared_schema
from .loading import Tables
from .naming import PICSART, SHOTSTACK, Api
from .settings import warehouse_engine


@dataclass
class ApiTranslator(DagsterDltTranslator):
    """Names one API's resources `<api>/<resource>` and links child resources to their parents."""

    api: Api
    descriptions: Mapping[str, str]
    tables: Tables
    parents: Mapping[str, str] = field(default_factory=dict)

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        name = data.resource.name
        spec = super().get_asset_spec(data)
        parent = self.parents.get(name)
        # asked when the location loads: the kinds name the engine `[media_assets] warehouse` picks
        engine = warehouse_engine()
        return spec.replace_attributes(
            key=self.api.key(name),
            group_name=self.api.name,
            kinds={"dlt", engine},
            description=self.descriptions[name],
            deps=[self.api.key(parent)] if parent else [],
        ).merge_attributes(
            metadata={
                "dagster/column_schema": declared_schema(self.tables[name][name]),
                "dagster/storage_kind": engine,
            },
        )


PICSART_TRANSLATOR = ApiTranslator(
    api=PICSART, descriptions=picsart_settings.DESCRIPTIONS, tables=picsart_settings.TABLES
)
SHOTSTACK_TRANSLATOR = ApiTranslator(
    api=SHOTSTACK,
    descriptions=shotstack_settings.DESCRIPTIONS,
    tables=shotstack_settings.TABLES,
    parents={"assets_by_render": "renders"},
)
