"""The Shotstack source: tracked renders, their hosted assets, templates and ingested sources."""

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from copy import deepcopy
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.rest_api import rest_api_resources
from requests import PreparedRequest, Response

from ..keys import usable_key
from ..pacing import Pace, resource_of
from . import settings
from .helpers import unwrap_attributes
from .renders import done_renders, hosted_assets, render_lookups

logger = logging.getLogger(__name__)
BUCKET = re.compile(r"/(edit|serve|ingest)/(v1|stage)/")


def _bucket(request: PreparedRequest) -> str:
    """Edit, Serve and Ingest are limited apart, per version: `edit/v1`, `serve/stage`, ..."""
    found = BUCKET.search(request.path_url)
    if found is None:
        raise ValueError(f"{request.path_url} is under no Shotstack API with a rate limit")
    return "/".join(found.groups())


def _no_hint(response: Response) -> None:
    """Shotstack's 429 says nothing of the window's end: the pace waits a whole window."""


def _warn_unknown_asset(response: Response, *args: Any, **kwargs: Any) -> None:
    """An unknown asset id is a config mistake: say which setting, then skip it."""
    logger.warning(
        "Shotstack has no hosted asset at %s: check [sources.shotstack_source] asset_ids and version.",
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
    inbox_render_ids: Sequence[str] = (),
    asset_ids: Sequence[str] = (),
    refresh_pending: bool = True,
    files_ahead: bool = False,
    pace: Pace | None = None,
) -> list[DltResource]:
    """Shotstack renders and hosting, for one API version.

    Args:
        api_key: the key for Edit, Serve and Ingest, sent as `x-api-key`.
        base_url: the API root; the local sandbox's URL in the demo and tests.
        version: `v1` (production) or `stage` (the free, watermarked sandbox).
        render_ids: renders to look up; Shotstack has no endpoint that lists them. Renders
            already done, failed or unknown (404) are never looked up again.
        inbox_render_ids: renders dropped in the render inbox, under the same rule.
        asset_ids: hosted assets to look up by id.
        refresh_pending: also look up every tracked render that is not finished yet.
        files_ahead: ask for the hosted files of each render found done while the lookups go
            on, for `assets_by_render` later in the same run (set it only when that loads too).
        pace: the run's pacing (limits, workers, time budget); the published limits, in this
            process only, when not given.

    Returns:
        renders, assets_by_render (the hosted files of every done render whose files are not
        all ready, failed or deleted yet), assets, templates and ingest_sources.
    """
    if version not in settings.VERSIONS:
        raise ValueError(
            f"[sources.shotstack_source] version is {version!r}; set it to one of {settings.VERSIONS}"
        )
    key = usable_key(api_key, "shotstack_source")
    auth = APIKeyAuth(name=settings.API_KEY_HEADER, api_key=key, location="header")
    headers = {"Accept": "application/json"}
    pace = pace or Pace(settings.RATE_LIMITS)
    session = pace.session(key, base_url, _bucket, _no_hint, resource_of(settings.PATHS))
    client = RESTClient(base_url=base_url, headers=headers, auth=auth, session=session)

    wanted = [*render_ids, *inbox_render_ids]
    renders = render_lookups(client, pace, version, wanted, refresh_pending, files_ahead)
    assets_by_render = hosted_assets(client, pace, version, done_renders(version))
    lookups = rest_api_resources(
        {
            "client": {"base_url": base_url, "auth": auth, "headers": headers, "session": session},
            "resources": [_ids("asset_ids", asset_ids), *_resource_configs(version)],
        }
    )
    # the lists first, each in dlt's worker threads (rest_api's own `parallelized` option is lost
    # when it binds the resource), so they go while the lookups run; the hosted files last, once
    # the lookups found which renders are done (dlt's `fifo` order, .dlt/config.toml)
    return [*(resource.parallelize() for resource in lookups), renders, assets_by_render]
