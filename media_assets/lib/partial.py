"""One dlt run for a step's resources, side by side; after a fault, one run per resource, so a
faulty endpoint fails its own asset and no other.

dlt aborts the extract of a whole source when one resource raises, and keeps nothing of it: a 429
on templates would throw away the renders fetched in the same run. So when the run of all of them
fails, the selected resources load again one by one, which keeps what does load (its rows, its
state, its materialization) and names what does not. Normally the one run is all there is: one
extract, normalize and load instead of one per resource, with the list endpoints fetched at once.
"""

import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.extract import DltSource
from dlt.extract.exceptions import ResourceExtractionError

from ..sources.pacing import Pace
from . import heap
from .errors import causes, explain
from .loading import Tables, create_empty_tables, described, load, new_columns, stored
from .naming import Api


@dataclass
class Outcome:
    """What a step's loads left: results and load ids of the resources loaded, and failures."""

    api: Api
    results: dict[str, list[dg.MaterializeResult]] = field(default_factory=dict)
    load_ids: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    first_error: BaseException | None = None

    @property
    def loaded(self) -> list[str]:
        return list(self.results)

    def raise_failures(self) -> None:
        """Fail the step after the loaded assets' results, naming each failed asset and why."""
        if not self.failures:
            return
        failed = [self.api.key(r).to_user_string() for r in self.failures]
        kept = [self.api.key(r).to_user_string() for r in self.loaded]
        lines = [f"- {self.api.key(r).to_user_string()}: {why}" for r, why in self.failures.items()]
        summary = f"{', '.join(failed)} failed" + (
            f"; {', '.join(kept)} loaded and are kept." if kept else ", and nothing was loaded."
        )
        raise dg.Failure(
            description="\n".join([summary, *lines]),
            metadata={
                "failed_assets": dg.MetadataValue.json(failed),
                "loaded_assets": dg.MetadataValue.json(kept),
            },
        ) from self.first_error


def _unexplained(error: BaseException) -> str:
    """An unknown error's innermost cause, in one line, for the list of failed assets."""
    *_, inner = causes(error)
    return f"{type(inner).__name__}: {inner}"


def failing_resource(error: BaseException) -> str | None:
    """The resource whose extraction raised `error`, when dlt says so."""
    return next((c.pipe_name for c in causes(error) if isinstance(c, ResourceExtractionError)), None)


@heap.frozen()
def load_resources(
    context: dg.AssetExecutionContext,
    runner: DagsterDltResource,
    make_source: Callable[[], DltSource],
    shape: DltSource,
    pipeline: dlt.Pipeline,
    resources: Sequence[str],
    api: Api,
    title: str,
    endpoints: Mapping[str, str],
    tables: Tables,
    pace: Pace | None = None,
    alone: Collection[str] = (),
) -> Outcome:
    """Load `resources` in one dlt run, leaving out each that fails it; then every table of those
    loaded exists, empty if need be, and every result's columns are described.

    Those in `alone` load first, each in a run of its own: what they fetch cannot be fetched again
    (a balance snapshot taken at this moment), so it must not be thrown away with another's fault.
    A failure that every call would meet (a missing or refused key, no credits) stops at once.
    `shape` is the location's shape-only source, for table hints; `endpoints` names each resource's
    path for errors; `tables` are the tables and columns each
    declares, so columns a load adds beyond them are reported as `new_columns`. With the step's
    `pace`, each resource's results record its requests, 429s, the load's wall time and the rate.
    The heap the step starts with stays out of full collections meanwhile (`heap.frozen`).
    """
    # resolves the settings: a missing key fails here, before any request; the first load runs it
    unused = [make_source()]

    def fresh(chosen: Sequence[str]) -> DltSource:
        """A source never run before (dagster #34052), selecting `chosen`."""
        return (unused.pop() if unused else make_source()).with_resources(*chosen)

    def attempt(chosen: Sequence[str]) -> tuple[BaseException, dg.Failure | None] | None:
        """Load `chosen` in one dlt run and keep its results; or the error and its explanation."""
        started = time.monotonic()
        try:
            results = load(context, runner, lambda: fresh(chosen), pipeline)
        except dg.Failure:
            raise  # the warehouse stayed locked: every other resource would wait in vain too
        except Exception as error:
            if any(isinstance(cause, DestinationTerminalException) for cause in causes(error)):
                # a package the destination refused for good (a NULL in a NOT NULL column) would be
                # retried first by every later load, failing them all: its rows go with its failure.
                # Any other pending package is kept for the next run, which loads it first.
                pipeline.drop_pending_packages()
            endpoint = endpoints.get(chosen[0] if len(chosen) == 1 else failing_resource(error) or "")
            failure = explain(error, title, api.source, endpoint, api.dataset)
            if failure is not None and not failure.allow_retries:
                raise failure from None
            return error, failure
        wall = time.monotonic() - started
        load_ids = list(pipeline.last_trace.last_load_info.loads_ids)
        keys = {api.key(resource): resource for resource in chosen}
        for result in results:
            resource = keys[result.asset_key] if result.asset_key in keys else chosen[0]
            extra: dict[str, object] = pace.spent(resource).metadata(wall) if pace else {}
            added = new_columns(pipeline, tables[resource])
            if added:
                context.log.warning(
                    f"{api.key(resource).to_user_string()}: the API sent fields the source does not "
                    f"declare, now new columns: {', '.join(added)}"
                )
                extra["new_columns"] = dg.MetadataValue.json(added)
            outcome.results.setdefault(resource, []).append(
                result._replace(metadata={**(result.metadata or {}), **extra})
            )
            outcome.load_ids[resource] = load_ids
        return None

    def record_failure(resource: str, error: BaseException, failure: dg.Failure | None) -> None:
        why = failure.description if failure is not None else _unexplained(error)
        context.log.error(f"{api.key(resource).to_user_string()} failed, the others go on: {why}")
        outcome.failures[resource] = why or type(error).__name__
        if failure is None and outcome.first_error is None:
            outcome.first_error = error

    def one_by_one(chosen: Sequence[str]) -> None:
        for resource in chosen:
            failed = attempt([resource])
            if failed is not None:
                record_failure(resource, *failed)

    outcome = Outcome(api)
    one_by_one([resource for resource in resources if resource in alone])
    together = [resource for resource in resources if resource not in alone]
    # the rest in one run; a resource that fails it is left out and the others go again, so each
    # faulty endpoint spends its retries once; a failure that names no resource (in the load
    # itself) sends them all one by one
    while len(together) > 1:
        failed = attempt(together)
        if failed is None:
            together = []
            break
        error, failure = failed
        culprit = failing_resource(error)
        if culprit not in together:
            why = failure.description if failure is not None else _unexplained(error)
            context.log.warning(
                f"Loading {', '.join(together)} in one run failed ({why}); loading each apart, "
                "so that the others still land"
            )
            break
        record_failure(culprit, error, failure)
        together.remove(culprit)
    one_by_one(together)
    outcome.failures = {r: outcome.failures[r] for r in resources if r in outcome.failures}
    if outcome.results:
        # the pipeline as dlt saved it, read once for the whole step
        saved = stored(pipeline)
        create_empty_tables(saved, shape, tables, outcome.loaded)
        outcome.results = {
            resource: [described(result, saved) for result in results]
            for resource, results in outcome.results.items()
        }
    return outcome
