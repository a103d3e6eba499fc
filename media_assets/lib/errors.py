"""Turn dlt and HTTP failures into errors that name the setting to fix and never echo a secret."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from requests import HTTPError
from requests.exceptions import JSONDecodeError

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


def _path(cause: BaseException, endpoint: str | None) -> str:
    """The request's path without its query, else the endpoint the caller named: never a key."""
    request = getattr(cause, "request", None)
    if request is not None and getattr(request, "path_url", None):
        return request.path_url.split("?")[0]
    return endpoint or "an endpoint"


def explain(error: BaseException, api: str, source: str, endpoint: str | None = None) -> dg.Failure | None:
    """An actionable Failure for a known cause, or None to let the original error through.

    `endpoint` names the path when the error does not carry its request (a body that is not JSON).
    """
    for cause in causes(error):
        if isinstance(cause, ConfigFieldMissingException):
            return dg.Failure(
                description=f"The {api} API key is not set. {key_help(source)}",
                allow_retries=False,
            )
        if isinstance(cause, HTTPError) and cause.response is not None:
            status = cause.response.status_code
            path = cause.response.request.path_url.split("?")[0] if cause.request else "?"
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
        if isinstance(cause, JSONDecodeError):
            return dg.Failure(
                description=(
                    f"{api} sent a body on {_path(cause, endpoint)} that is not valid JSON, so nothing "
                    f"from that endpoint was loaded; check [sources.{source}] base_url points at the "
                    "API, then run again."
                ),
            )
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
