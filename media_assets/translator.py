"""The one naming scheme for dlt assets: key <api>/<resource>, group <api>, kinds, parent→child deps."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from .sources.picsart import settings as picsart_settings
from .sources.shotstack import settings as shotstack_settings

KINDS = {"dlt", "duckdb"}


def column_schema(columns: Mapping[str, Mapping[str, object]]) -> dg.TableSchema:
    """Declared dlt column hints as a Dagster table schema, shown before the first load."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=str(hint.get("data_type", "text")),
                constraints=dg.TableColumnConstraints(nullable=bool(hint.get("nullable", True))),
            )
            for name, hint in columns.items()
        ]
    )


@dataclass
class ApiTranslator(DagsterDltTranslator):
    """Names one API's resources `<api>/<resource>` and links child resources to their parents."""

    api: str
    descriptions: Mapping[str, str]
    columns: Mapping[str, Mapping[str, Mapping[str, object]]]
    parents: Mapping[str, str] = field(default_factory=dict)

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        name = data.resource.name
        spec = super().get_asset_spec(data)
        parent = self.parents.get(name)
        schema = self.columns.get(name)
        return spec.replace_attributes(
            key=dg.AssetKey([self.api, name]),
            group_name=self.api,
            kinds=KINDS,
            description=self.descriptions.get(name, spec.description),
            deps=[dg.AssetKey([self.api, parent])] if parent else [],
        ).merge_attributes(
            metadata={"dagster/column_schema": column_schema(schema)} if schema else {},
        )


def _columns(resources: Mapping[str, Mapping[str, object]]) -> dict[str, dict]:
    return {name: dict(config["columns"]) for name, config in resources.items() if "columns" in config}


PICSART = ApiTranslator(
    api="picsart",
    descriptions=picsart_settings.DESCRIPTIONS,
    columns={"balance": picsart_settings.BALANCE_COLUMNS, **_columns(picsart_settings.RESOURCES)},
)
SHOTSTACK = ApiTranslator(
    api="shotstack",
    descriptions=shotstack_settings.DESCRIPTIONS,
    columns={
        "renders": shotstack_settings.RENDER_COLUMNS,
        "assets_by_render": shotstack_settings.ASSET_COLUMNS,
        **_columns(shotstack_settings.RESOURCES),
    },
    parents={"assets_by_render": "renders"},
)
