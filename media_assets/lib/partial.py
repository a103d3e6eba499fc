"""Each resource in a dlt run of its own, so a faulty endpoint fails its own asset and no other.

dlt aborts the extract of a whole source when one resource raises: a 429 on templates would
throw away the renders already fetched in the same run. Loading the selected resources one by
one keeps what did load (its rows, its state, its materialization) and names what did not.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import dlt
from dagster_dlt import DagsterDltResource
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.extract import DltSource

from ..sources.pacing import Pace, Tally
from .errors import causes, explain
from .loading import Tables, create_empty_tables, described, load, new_columns, stored
from .naming import Api


@dataclass
class Outcome:
    """What a load of each resource apart left: results and load ids of those loaded, and failures."""

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


def load_each(
    context: dg.AssetExecutionContext,
    runner: DagsterDltResource,
    make_source: Callable[[], DltSource],
    pipeline: dlt.Pipeline,
    resources: Sequence[str],
    api: Api,
    title: str,
    endpoints: Mapping[str, str],
    tables: Tables,
    pace: Pace | None = None,
) -> Outcome:
    """Load `resources` in order, one dlt run each, going on past the ones that fail; then every
    table of those loaded exists, empty if need be, and every result's columns are described.

    A failure that every call would meet (a missing or refused key, no credits) stops at once.
    `endpoints` names each resource's path for errors; `tables` are the tables and columns each
    declares, so columns a load adds beyond them are reported as `new_columns`. With the step's
    `pace`, each resource's results record its requests, 429s, wall time and achieved rate.
    """
    # resolves the settings: a missing key fails here, before any request; the first load runs it
    unused = [make_source()]

    def fresh(resource: str) -> DltSource:
        """A source never run before (dagster #34052), selecting one resource."""
        return (unused.pop() if unused else make_source()).with_resources(resource)

    outcome = Outcome(api)
    for resource in resources:
        before = Tally(pace.tally.requests, pace.tally.throttled) if pace else None
        try:
            results = load(context, runner, lambda r=resource: fresh(r), pipeline)
        except dg.Failure:
            raise  # the warehouse stayed locked: every other resource would wait in vain too
        except Exception as error:
            if any(isinstance(cause, DestinationTerminalException) for cause in causes(error)):
                # a package the destination refused for good (a NULL in a NOT NULL column) would be
                # retried first by every later load, failing them all: its rows go with its failure.
                # Any other pending package is kept for the next run, which loads it first.
                pipeline.drop_pending_packages()
            failure = explain(error, title, api.source, endpoints.get(resource), api.dataset)
            if failure is not None and not failure.allow_retries:
                raise failure from None
            why = failure.description if failure is not None else _unexplained(error)
            context.log.error(f"{api.key(resource).to_user_string()} failed, the others go on: {why}")
            outcome.failures[resource] = why or type(error).__name__
            if failure is None and outcome.first_error is None:
                outcome.first_error = error
            continue
        extra: dict[str, object] = {}
        if pace and before:
            spent = Tally(pace.tally.requests - before.requests, pace.tally.throttled - before.throttled)
            spent.started = before.started
            extra.update(spent.metadata())
        added = new_columns(pipeline, tables[resource])
        if added:
            context.log.warning(
                f"{api.key(resource).to_user_string()}: the API sent fields the source does not declare, "
                f"now new columns: {', '.join(added)}"
            )
            extra["new_columns"] = dg.MetadataValue.json(added)
        if extra:
            results = [result._replace(metadata={**(result.metadata or {}), **extra}) for result in results]
        outcome.results[resource] = results
        outcome.load_ids[resource] = list(pipeline.last_trace.last_load_info.loads_ids)
    if outcome.results:
        # the pipeline as dlt saved it, read once for the whole step
        saved = stored(pipeline)
        create_empty_tables(saved, make_source, tables, outcome.loaded)
        outcome.results = {
            resource: [described(result, saved) for result in results]
            for resource, results in outcome.results.items()
        }
    return outcome
