"""Picsart facts from the publisher's pages: its three hosts, headers on every answer, error bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from media_assets.sandbox import Fault, Sandbox
from media_assets_tests.sandbox_fixtures import PICSART_HEADERS, serving

RATE_HEADERS = (
    "X-Picsart-Ratelimit-Limit",
    "X-Picsart-Ratelimit-Available",
    "X-Picsart-Ratelimit-Reset-Time",
    "X-Picsart-Correlation-Id",
)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with serving() as served:
        yield served


def call(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> requests.Response:
    """A request with the valid key and Accept unless other headers are given."""
    return requests.request(method, url, headers=PICSART_HEADERS if headers is None else headers, timeout=5)


def has_rate_headers(response: requests.Response) -> bool:
    return all(response.headers.get(name) for name in RATE_HEADERS)


def test_unrouted_answers_carry_the_headers(sb: Sandbox) -> None:
    """Every response carries the rate-limit and correlation headers, even for a path no host
    serves (404) or a method a path refuses (405), in the general {"message", "detail"} shape."""
    missing = call(f"{sb.picsart_base_url}/tools/1.0/nothing-here")
    assert missing.status_code == 404 and set(missing.json()) == {"message", "detail"}
    assert has_rate_headers(missing)
    wrong = call(f"{sb.picsart_base_url}/tools/1.0/balance", method="POST")
    assert (wrong.status_code, wrong.json()["message"]) == (405, "Method Not Allowed")
    assert has_rate_headers(wrong)
    refused = call(f"{sb.picsart_base_url}/v1/nothing", headers={})
    assert refused.status_code == 401 and refused.json()["code"] == 401 and has_rate_headers(refused)
    assert sb.counts == {}, "unrouted calls belong to no endpoint"


def test_injected_errors_use_the_documented_bodies(sb: Sandbox) -> None:
    """402 is {"message": "Payment Required"} alone; a 401 carries `code` as the documented one
    does; an injected 429 says nothing is available. All keep the headers."""
    url = f"{sb.picsart_base_url}/tools/1.0/effects"
    sb.set_fault("picsart.effects", Fault(kind=402, count=1))
    broke = call(url)
    assert (broke.status_code, broke.json()) == (402, {"message": "Payment Required"})
    assert has_rate_headers(broke)
    sb.set_fault("picsart.effects", Fault(kind=401, count=1))
    refused = call(url).json()
    assert (refused["code"], refused["message"]) == (401, "Unauthorized") and refused["detail"]
    sb.set_fault("picsart.effects", Fault(kind=429, count=1))
    limited = call(url)
    assert limited.status_code == 429 and limited.headers["X-Picsart-Ratelimit-Available"] == "0"
    assert call(url).headers["X-Picsart-Ratelimit-Available"] == str(500 - 4)
