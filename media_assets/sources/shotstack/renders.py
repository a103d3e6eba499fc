"""Tracked renders and their hosted files, remembered in dlt state so finished work is never fetched twice."""

import logging
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import dlt
from dlt.sources import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from requests import Response

from ..pacing import Pace, RunTimeSpent
from . import settings
from .helpers import unwrap_attributes
from .settings import DEFERRED, NOT_FOUND

logger = logging.getLogger(__name__)

# a render in one of these states is never looked up again
SETTLED = (*settings.TERMINAL_RENDER_STATUSES, NOT_FOUND)
TOO_MANY_REQUESTS = 429
# what a lookup the rate limit stopped returns in place of its answer
LIMITED = None


def _paced(client: RESTClient, path: str, **kwargs: Any) -> Response | None:
    """The answer, or LIMITED when the run's time ran out waiting for the rate limit, or a 429
    outlasted dlt's retries after it: the caller leaves that id for the next run."""
    try:
        response = client.get(path, **kwargs)
    except RunTimeSpent:
        return LIMITED
    return LIMITED if response.status_code == TOO_MANY_REQUESTS else response


def _concurrently(
    pace: Pace, what: str, ids: Sequence[str], call: Callable[[str], Response | None]
) -> Iterator[tuple[str, Response | None]]:
    """`call` for each id on the pace's workers, answers in order; progress goes to the run log.

    The first id goes alone, so a refused key or a wrong base URL costs one call, not one per
    worker. After it, a few answers per worker are kept in flight, never the whole backlog, so
    the workers never idle and memory does not grow with the number of ids.
    """
    if not ids:
        return
    yield ids[0], call(ids[0])
    ahead = max(pace.workers * 4, 1)
    with ThreadPoolExecutor(max_workers=pace.workers, thread_name_prefix=what) as pool:
        pending: deque[tuple[str, Future[Response | None]]] = deque()
        queued = iter(ids[1:])
        for done in range(1, len(ids)):
            while len(pending) < ahead and (next_id := next(queued, None)) is not None:
                pending.append((next_id, pool.submit(call, next_id)))
            render_id, answer = pending.popleft()
            yield render_id, answer.result()
            pace.progress(what, done + 1, len(ids))
    pace.progress(what, len(ids), len(ids), force=True)


def _warn_limited(api: str, left: int) -> None:
    logger.warning(
        "Shotstack %s: the run's time budget ([media_assets] run_seconds) ran out waiting for the rate "
        "limit; the %d left are asked for by the next run. Nothing fetched so far is lost.",
        api,
        left,
    )


def _per_version(key: str, version: str, empty: Any) -> Any:
    """State kept apart per API version: a v1 render is unknown to stage, and must not be judged there."""
    return dlt.current.source_state().setdefault(key, {}).setdefault(version, empty)


def tracked_renders(version: str) -> dict[str, str]:
    """Every render id this pipeline has looked up on `version`, with its last known status."""
    return _per_version("renders_by_version", version, {})


def deferred_renders(source_state: dict[str, Any]) -> list[str]:
    """Renders the rate limit left for the next run, read from a pipeline's saved source state."""
    by_version = source_state.get("renders_by_version", {}).values()
    return [render_id for known in by_version for render_id, status in known.items() if status == DEFERRED]


def settled_files(version: str) -> list[str]:
    """Done renders on `version` whose hosted files all reached a final status."""
    return _per_version("assets_settled_by_version", version, [])


def _files_of(client: RESTClient, version: str, render_id: str) -> Response | None:
    return _paced(client, settings.ASSETS_BY_RENDER_PATH.format(version=version, id=render_id))


def render_lookups(
    client: RESTClient,
    pace: Pace,
    version: str,
    render_ids: Sequence[str],
    refresh_pending: bool,
    files_ahead: bool = False,
) -> DltResource:
    """Look up the given renders, plus (when refreshing) every one not yet done or failed.

    With `files_ahead`, the hosted files of each render found done are asked for at once, on
    Serve's budget while lookups wait for Edit's; `assets_by_render` takes those answers later.
    """

    @dlt.resource(
        name="renders", primary_key="id", write_disposition="merge", columns=settings.RENDER_COLUMNS
    )
    def renders() -> Iterator[Any]:
        known = tracked_renders(version)
        pending = [i for i, status in known.items() if status not in SETTLED] if refresh_pending else []
        wanted = [i for i in dict.fromkeys([*render_ids, *pending]) if known.get(i) not in SETTLED]

        def lookup(render_id: str) -> Response | None:
            """The render's answer; when it is done, its files are asked for at once, from this
            worker, rather than when the answers reach the extract in order."""
            path = settings.RENDER_PATH.format(version=version, id=render_id)
            response = _paced(client, path, params=settings.RENDER_PARAMS)
            answered = files_ahead and response is not LIMITED and response.status_code == 200
            if answered and response.json()[settings.RENDER_SELECTOR].get("status") == "done":
                pace.ahead(render_id, lambda: _files_of(client, version, render_id))
            return response

        deferred = 0
        for render_id, response in _concurrently(pace, "renders", wanted, lookup):
            if response is LIMITED:
                known.setdefault(render_id, DEFERRED)
                deferred += 1
                continue
            if response.status_code == 404:
                logger.warning(
                    "Shotstack %s knows no render %s; it is recorded in %s and not asked for again. "
                    "Check the id and [sources.shotstack_source] version.",
                    version,
                    render_id,
                    settings.NOT_FOUND_TABLE,
                )
                status, row = (
                    NOT_FOUND,
                    {
                        "id": render_id,
                        "version": version,
                        "status": NOT_FOUND,
                        "checked_at": datetime.now(UTC),
                    },
                )
                yield dlt.mark.with_table_name(row, settings.NOT_FOUND_TABLE)
            else:
                response.raise_for_status()
                row = {**response.json()[settings.RENDER_SELECTOR], "version": version}
                status = row["status"]
                yield row
            known[render_id] = status
        if deferred:
            _warn_limited("Edit", deferred)

    return renders()


def done_renders(version: str) -> DltResource:
    """Done renders whose hosted files are not all settled."""

    @dlt.resource(name="done_renders", selected=False)
    def pending_assets() -> Iterator[list[dict[str, str]]]:
        known = tracked_renders(version)
        settled = set(settled_files(version))
        yield [{"id": i} for i, status in known.items() if status == "done" and i not in settled]

    return pending_assets()


def hosted_assets(client: RESTClient, pace: Pace, version: str, parent: DltResource) -> DltResource:
    """A child of the done renders: their hosted files, each row keeping its render id."""

    @dlt.transformer(
        data_from=parent,
        name="assets_by_render",
        primary_key="id",
        write_disposition="merge",
        columns=settings.ASSET_COLUMNS,
    )
    def assets_by_render(renders: list[dict[str, str]]) -> Iterator[list[dict[str, Any]]]:
        settled = settled_files(version)

        def files_of(render_id: str) -> Response | None:
            fetched = pace.take(render_id)
            return fetched.result() if fetched else _files_of(client, version, render_id)

        ids = [render["id"] for render in renders]
        deferred = 0
        for render_id, response in _concurrently(pace, "hosted files", ids, files_of):
            if response is LIMITED:
                deferred += 1  # not settled, so the next refresh fetches them
                continue
            if response.status_code == 404:
                continue  # done, but its files are not hosted yet
            response.raise_for_status()
            files = [
                {**unwrap_attributes(item), "renderId": render_id}
                for item in response.json()[settings.ASSETS_BY_RENDER_SELECTOR]
            ]
            if files and all(f.get("status") in settings.TERMINAL_ASSET_STATUSES for f in files):
                settled.append(render_id)
            yield files
        if deferred:
            _warn_limited("Serve", deferred)

    return assets_by_render
