"""The Picsart source: credit balance snapshots and the read-only catalogue endpoints."""

import logging
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.rest_api import rest_api_resources
from requests import Response

from ..keys import usable_key
from ..pacing import Pace, resource_of
from . import settings

logger = logging.getLogger(__name__)


def _warn_brief_only(response: Response, *args: Any, **kwargs: Any) -> None:
    """Say plainly why a brief-only endpoint loads nothing, before the 404 is ignored."""
    logger.warning(
        "Picsart answered 404 for %s: this endpoint is in the product brief but not in Picsart's "
        "published API, so its table stays empty and the other resources load as usual.",
        response.request.path_url.split("?")[0],
    )


def _server_time(response: Response) -> datetime:
    """The reading's time from the HTTP Date header, so snapshots share the API's clock."""
    date = response.headers.get("Date")
    return parsedate_to_datetime(date) if date else datetime.now(UTC)


def _reset_wait(response: Response) -> float | None:
    """Seconds until the window ends: the reset time against the answer's own Date, so a client
    clock that disagrees with Picsart's does not shorten the wait."""
    reset = response.headers.get(settings.RATE_RESET_HEADER, "")
    if not reset.strip().isdigit():
        return None
    return int(reset) - _server_time(response).timestamp()


def _resource_configs(image_search_query: str) -> list[dict[str, Any]]:
    configs = []
    for name, config in settings.RESOURCES.items():
        config = deepcopy(config)
        endpoint = config["endpoint"]
        if name == "image_search":
            endpoint["params"] = {**endpoint.get("params", {}), "q": image_search_query}
        if name in settings.BRIEF_ONLY:
            endpoint["response_actions"] = [
                {"status_code": 404, "action": _warn_brief_only},
                {"status_code": 404, "action": "ignore"},
            ]
        configs.append({"name": name, **config})
    return configs


@dlt.source(name="picsart_source", section="picsart_source", max_table_nesting=1)
def picsart_source(
    api_key: str = dlt.secrets.value,
    base_url: str = settings.BASE_URL,
    image_search_query: str = settings.IMAGE_SEARCH_QUERY,
    pace: Pace | None = None,
) -> list[DltResource]:
    """Picsart credits and catalogue.

    Args:
        api_key: the account's key, sent as `X-Picsart-API-Key`.
        base_url: the API root; the local sandbox's URL in the demo and tests.
        image_search_query: the term `image_search` asks for.
        pace: the run's pacing (limits, workers, time budget); the published limit, in this
            process only, when not given.

    Returns:
        The balance resource and one resource per catalogue endpoint.
    """
    key = usable_key(api_key, "picsart_source")
    auth = APIKeyAuth(name=settings.API_KEY_HEADER, api_key=key, location="header")
    headers = {"Accept": "application/json"}
    pace = pace or Pace(settings.RATE_LIMITS)
    session = pace.session(
        key, base_url, lambda request: settings.RATE_BUCKET, _reset_wait, resource_of(settings.PATHS)
    )
    client = RESTClient(base_url=base_url, headers=headers, auth=auth, session=session)

    @dlt.resource(
        name="balance",
        write_disposition="append",
        columns=settings.BALANCE_COLUMNS,
    )
    def balance() -> Iterator[dict[str, Any]]:
        response = client.get(settings.BALANCE_PATH)
        response.raise_for_status()
        yield {"taken_at": _server_time(response), "credits": response.json()["credits"]}

    catalogue = rest_api_resources(
        {
            "client": {"base_url": base_url, "auth": auth, "headers": headers, "session": session},
            "resources": _resource_configs(image_search_query),
        }
    )
    # each list in dlt's worker threads, side by side with the other resources of the run (rest_api's
    # own `parallelized` option is lost when it binds the resource)
    return [balance(), *(resource.parallelize() for resource in catalogue)]
