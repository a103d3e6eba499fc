"""The Shotstack source: tracked renders, their hosted assets, templates and ingested sources."""

import logging
from collections.abc import Iterable, Iterator, Sequence
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.rest_api import rest_api_resources
from requests import Response

from . import settings

logger = logging.getLogger(__name__)


def unwrap_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """Flatten a JSON:API record to its attributes, where Serve and Ingest keep the id."""
    return item.get("attributes", item)


def _warn_unknown_asset(response: Response, *args: Any, **kwargs: Any) -> None:
    """An unknown asset id is a config mistake: say which setting, then skip it."""
    logger.warning(
        "Shotstack has no hosted asset at %s: check [sources.shotstack_source] asset_ids and "
        "version.",
        response.request.path_url,
    )


def _ids(name: str, ids: Iterable[str]) -> DltResource:
    """An unselected resource feeding ids to a child, never loaded itself."""
    rows = [{"id": i} for i in dict.fromkeys(ids)]

    def feed() -> Iterator[list[dict[str, str]]]:
        yield rows  # one batch: rest_api children iterate the items of each batch

    return dlt.resource(feed, name=name, selected=False)()


def _resource_configs(version: str) -> list[dict[str, Any]]:
    configs = []
    for name, config in settings.RESOURCES.items():
        config = deepcopy(config)
        endpoint = config["endpoint"]
        endpoint["path"] = endpoint["path"].replace("{version}", version)
        if name in settings.JSONAPI_RESOURCES:
            config["processing_steps"] = [{"map": unwrap_attributes}]
        if name == "assets":
            endpoint["response_actions"] = [
                {"status_code": 404, "action": _warn_unknown_asset},
                {"status_code": 404, "action": "ignore"},
            ]
        configs.append({"name": name, **config})
    return configs


@dlt.source(name="shotstack_source", section="shotstack_source", max_table_nesting=1)
def shotstack_source(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.BASE_URL,
    version: str = settings.VERSION,
    render_ids: Sequence[str] = (),
    asset_ids: Sequence[str] = (),
    asset_render_ids: Sequence[str] | None = None,
) -> list[DltResource]:
    """Shotstack renders and hosting, for one API version.

    Args:
        api_key: the key for Edit, Serve and Ingest, sent as `x-api-key`.
        base_url: the API root; the local sandbox's URL in the demo and tests.
        version: `v1` (production) or `stage` (the free, watermarked sandbox).
        render_ids: renders to look up; Shotstack has no endpoint that lists them.
        asset_ids: hosted assets to look up by id.
        asset_render_ids: done renders whose hosted assets to fetch without looking the
            renders up again; by default the done renders this run looked up.

    Returns:
        renders, assets_by_render, assets, templates and ingest_sources.
    """
    if version not in settings.VERSIONS:
        raise ValueError(
            f"[sources.shotstack_source] version is {version!r}; set it to one of {settings.VERSIONS}"
        )
    auth = APIKeyAuth(name=settings.API_KEY_HEADER, api_key=api_key, location="header")
    headers = {"Accept": "application/json"}
    client = RESTClient(base_url=base_url, headers=headers, auth=auth)

    @dlt.resource(
        name="renders",
        primary_key="id",
        write_disposition="merge",
        columns=settings.RENDER_COLUMNS,
    )
    def renders() -> Iterator[Any]:
        for render_id in dict.fromkeys(render_ids):
            path = settings.RENDER_PATH.format(version=version, id=render_id)
            response = client.get(path, params=settings.RENDER_PARAMS)
            if response.status_code == 404:
                logger.warning(
                    "Shotstack %s knows no render %s: check [sources.shotstack_source] render_ids "
                    "and version.",
                    version,
                    render_id,
                )
                row = {"id": render_id, "version": version, "checked_at": datetime.now(UTC)}
                yield dlt.mark.with_table_name(row, settings.NOT_FOUND_TABLE)
                continue
            response.raise_for_status()
            yield {**response.json()[settings.RENDER_SELECTOR], "version": version}

    def fetch_assets(render: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if render.get("status") != "done":
            return
        path = settings.ASSETS_BY_RENDER_PATH.format(version=version, id=render["id"])
        response = client.get(path)
        if response.status_code == 404:
            return  # a done render whose files are not hosted (yet)
        response.raise_for_status()
        for item in response.json()[settings.ASSETS_BY_RENDER_SELECTOR]:
            yield {**unwrap_attributes(item), "renderId": render["id"]}

    render_resource = renders()
    parent = (
        render_resource
        if asset_render_ids is None
        else dlt.resource(
            [{"id": i, "status": "done"} for i in dict.fromkeys(asset_render_ids)],
            name="done_renders",
            selected=False,
        )
    )
    assets_by_render = dlt.transformer(
        fetch_assets,
        data_from=parent,
        name="assets_by_render",
        primary_key="id",
        write_disposition="merge",
        columns=settings.ASSET_COLUMNS,
    )
    lookups = rest_api_resources(
        {
            "client": {"base_url": base_url, "auth": auth, "headers": headers},
            "resources": [_ids("asset_ids", asset_ids), *_resource_configs(version)],
        }
    )
    return [render_resource, assets_by_render, *lookups]
