"""Turn dlt and HTTP failures into errors that name the setting to fix and never echo a secret."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs import RuntimeConfiguration
from duckdb import ConstraintException
from requests import HTTPError, Response, Timeout
from requests.exceptions import ChunkedEncodingError, InvalidHeader, JSONDecodeError
from requests.exceptions import ConnectionError as RequestsConnectionError

from ..sources.keys import UnusableKey

# DuckDB's words for a NULL in a NOT NULL column
NOT_NULL = re.compile(r"NOT NULL constraint failed: (\w+)\.(\w+)")
KEY_HELP = (
    "Set it in .dlt/secrets.toml under [sources.{source}] api_key, "
    "or in the environment variable SOURCES__{env}__API_KEY."
)


def causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error, then what caused it, and so on."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def key_help(source: str) -> str:
    """Where to set `source`'s API key: the secrets.toml section and the environment variable."""
    return KEY_HELP.format(source=source, env=source.upper())


def _environment_hint(source: str) -> str:
    """Shotstack issues one key per environment: a v1 key on stage is refused, and the reverse."""
    if source != "shotstack_source":
        return ""
    return " and for the environment in [sources.shotstack_source] version (v1 and stage keys differ)"


def _response_of(error: BaseException) -> Response | None:
    """The response whose body would not parse: requests' JSONDecodeError does not carry it, but
    the frame of `Response.json()` that raised it, the last in its traceback, holds it."""
    found, frame = None, error.__traceback__
    while frame is not None:
        candidate = frame.tb_frame.f_locals.get("self")
        found = candidate if isinstance(candidate, Response) else found
        frame = frame.tb_next
    return found


def _path(cause: BaseException, endpoint: str | None) -> str:
    """The request's path without its query, else the endpoint the caller named: never a key."""
    request = getattr(cause, "request", None)
    if request is None and isinstance(cause, JSONDecodeError | ChunkedEncodingError):
        request = getattr(_response_of(cause), "request", None)
    if request is not None and getattr(request, "path_url", None):
        return request.path_url.split("?")[0]
    return endpoint or "an endpoint"


def _http_failure(cause: HTTPError, api: str, source: str) -> dg.Failure:
    """An HTTP status that outlasted dlt's retries, or one retrying cannot fix (a key, credits)."""
    status = cause.response.status_code
    path = _path(cause, None)
    if status == 402:
        return dg.Failure(
            description=(
                f"{api} says the account is out of credits (HTTP 402 Payment Required on {path}). "
                "Top up the account, then run again; retrying before that only spends calls."
            ),
            allow_retries=False,
        )
    if status in (401, 403):
        return dg.Failure(
            description=(
                f"{api} refused the API key (HTTP {status} on {path}). "
                f"Check the key, and that it is meant for this service{_environment_hint(source)}. "
                f"{key_help(source)}"
            ),
            allow_retries=False,
        )
    return dg.Failure(
        description=(
            f"{api} answered HTTP {status} on {path} after dlt's retries, so nothing from "
            "that endpoint was loaded; run it again later. Retries and backoff are set in "
            ".dlt/config.toml under [runtime] (request_max_attempts, request_backoff_factor)."
        ),
    )


def _timeout_failure(cause: Timeout, api: str) -> dg.Failure:
    """Every attempt waited request_timeout for an answer: name the two settings and their values."""
    runtime = resolve_configuration(RuntimeConfiguration())
    return dg.Failure(
        description=(
            f"{api} did not answer {_path(cause, None)} within [runtime] request_timeout "
            f"({runtime.request_timeout:g} s) in any of [runtime] request_max_attempts "
            f"({runtime.request_max_attempts}) attempts, so nothing from that endpoint was loaded. "
            "If the service is slow rather than down, raise request_timeout (or request_max_attempts) "
            "under [runtime] in .dlt/config.toml, or set RUNTIME__REQUEST_TIMEOUT; otherwise run again later."
        ),
    )


def _dropped_failure(
    cause: RequestsConnectionError | ChunkedEncodingError, api: str, source: str, endpoint: str | None
) -> dg.Failure:
    """Every attempt lost its connection (refused, or dropped before the whole answer arrived)."""
    runtime = resolve_configuration(RuntimeConfiguration())
    return dg.Failure(
        description=(
            f"{api} could not be reached on {_path(cause, endpoint)}, or dropped the connection before its "
            "answer was complete, in each of [runtime] request_max_attempts "
            f"({runtime.request_max_attempts}) attempts, so nothing from that endpoint was loaded. This is "
            "usually the network or a proxy on the way: run again later. If it persists, check that "
            f"[sources.{source}] base_url points at the API and that this machine can reach it."
        ),
    )


def _body_failure(cause: JSONDecodeError, api: str, source: str, endpoint: str | None) -> dg.Failure:
    """A body cut off or garbled in transit is usually gone on the next try; a web page (a login
    portal, a proxy's error page) answering instead of the API is not."""
    content_type = getattr(_response_of(cause), "headers", {}).get("Content-Type", "")
    if content_type and "json" not in content_type.lower():
        return dg.Failure(
            description=(
                f"{api} answered {_path(cause, endpoint)} with {content_type.split(';')[0]} instead of "
                "JSON, so nothing from that endpoint was loaded. Something other than the API answered "
                f"(a sign-in page, a proxy's error page): check that [sources.{source}] base_url points "
                "at the API, and any proxy or network sign-in between this machine and it; then run again."
            ),
        )
    return dg.Failure(
        description=(
            f"{api} sent a body on {_path(cause, endpoint)} that is not valid JSON (cut off or "
            "malformed), so nothing from that endpoint was loaded. This may be transient, a "
            "connection dropped mid-answer: run again. If it persists, check that "
            f"[sources.{source}] base_url points at the API."
        ),
    )


def _retyped_failure(cause: ConstraintException, api: str, dataset: str) -> dg.Failure | None:
    """A NOT NULL column left empty because its value came in another type, which dlt set aside."""
    found = NOT_NULL.search(str(cause))
    if found is None:
        return None
    table, column = found.groups()
    return dg.Failure(
        description=(
            f"{api} sent {dataset}.{table}.{column} in a type that does not fit the declared one: dlt "
            f"kept the value aside in a variant column ({column}__v_text for text) and left {column} "
            "empty, which the table does not allow, so nothing from that endpoint was loaded. The API "
            "changed the field's type: make the source read the new form, then run again."
        ),
    )


def explain(
    error: BaseException, api: str, source: str, endpoint: str | None = None, dataset: str | None = None
) -> dg.Failure | None:
    """An actionable Failure for a known cause, or None to let the original error through.

    `endpoint` names the path when the error does not carry its request; `dataset` the schema
    whose tables a load wrote.
    """
    for cause in causes(error):
        if isinstance(cause, UnusableKey):
            # the message names the setting and never quotes the key
            return dg.Failure(description=f"The {api} API key cannot be used: {cause}", allow_retries=False)
        if isinstance(cause, InvalidHeader):
            # requests quotes the header value, key included: say what to check instead
            return dg.Failure(
                description=f"{api}'s key could not be sent as a header. {key_help(source)}",
                allow_retries=False,
            )
        if isinstance(cause, ConfigFieldMissingException):
            return dg.Failure(
                description=f"The {api} API key is not set. {key_help(source)}",
                allow_retries=False,
            )
        if isinstance(cause, HTTPError) and cause.response is not None:
            return _http_failure(cause, api, source)
        if isinstance(cause, Timeout):
            return _timeout_failure(cause, api)
        if isinstance(cause, JSONDecodeError):
            return _body_failure(cause, api, source, endpoint)
        if isinstance(cause, RequestsConnectionError | ChunkedEncodingError):
            return _dropped_failure(cause, api, source, endpoint)
        if isinstance(cause, ConstraintException) and dataset:
            return _retyped_failure(cause, api, dataset)
    return None


@contextmanager
def explained(api: str, source: str) -> Iterator[None]:
    """Re-raise failures inside the block as actionable Dagster failures."""
    try:
        yield
    except dg.Failure:
        raise
    except Exception as error:
        failure = explain(error, api, source)
        if failure is None:
            raise
        raise failure from None
