"""Picsart facts from the publisher's pages: its three hosts, headers on every answer, error bodies."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
import requests

from media_assets.sandbox import Fault, Sandbox
from media_assets_tests.helpers.sandbox_world import PICSART_HEADERS, serving

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


def test_video_and_genai_hosts_have_balance(sb: Sandbox) -> None:
    """video-api.picsart.io/v1 and genai-api.picsart.io/v1 each have /balance too; all three read
    the one account, in the same shape, with the credit header."""
    urls = [
        f"{sb.picsart_base_url}/tools/1.0/balance",
        f"{sb.picsart_video_base_url}/v1/balance",
        f"{sb.picsart_genai_base_url}/v1/balance",
    ]
    answers = [call(url) for url in urls]
    assert [a.json() for a in answers] == [{"credits": 900}, {"credits": 850}, {"credits": 800}]
    for answer in answers:
        assert answer.headers["X-Picsart-Credit-Available"] == str(answer.json()["credits"])
        assert answer.headers["content-type"] == "application/json" and has_rate_headers(answer)
    assert sb.counts["picsart.video_balance"] == sb.counts["picsart.genai_balance"] == 1
    assert call(urls[1], headers={"Accept": "application/json"}).json()["code"] == 401


# Accept headers that admit JSON, by a wildcard, a list or a lower preference
ADMITS_JSON = [
    "application/json",
    "*/*",
    "application/*",
    "application/json;q=0.9",
    "text/html, application/json;q=0.5",
    "text/html,application/xhtml+xml,*/*;q=0.8",
    "Application/JSON; charset=utf-8",
]
# the brief's rule: a missing Accept is 406 too, as is one that admits no JSON or refuses it (q=0)
REFUSES_JSON = [
    None,
    "",
    "text/html",
    "text/*",
    "application/xml",
    "application/json-seq",
    "application/json;q=0",
    "*/*;q=0",
    "application/json;q=0, */*",
]


@pytest.mark.parametrize("accept", ADMITS_JSON)
def test_an_accept_that_admits_json_gets_json(sb: Sandbox, accept: str) -> None:
    response = call(f"{sb.picsart_base_url}/tools/1.0/effects", headers={**PICSART_HEADERS, "Accept": accept})
    assert response.status_code == 200 and response.json()["status"] == "success"


@pytest.mark.parametrize("accept", REFUSES_JSON)
def test_an_accept_missing_or_without_json_is_406(sb: Sandbox, accept: str | None) -> None:
    headers = {**PICSART_HEADERS, "Accept": accept}  # None: requests sends no Accept at all
    response = requests.get(f"{sb.picsart_base_url}/tools/1.0/effects", headers=headers, timeout=5)
    assert response.status_code == 406 and response.json()["message"] == "Not Acceptable"
    assert has_rate_headers(response)
    assert sb.last_headers["picsart.effects"].get("accept") == accept


def test_one_rate_bucket_per_account_across_hosts() -> None:
    """500 a minute per account: calls to every host draw from one window."""
    with serving(rate_limit_scale=0.006) as sb:
        calls = [
            call(f"{sb.picsart_base_url}/tools/1.0/effects"),
            call(f"{sb.picsart_video_base_url}/v1/balance"),
            call(f"{sb.picsart_genai_base_url}/v1/balance"),
            call(f"{sb.picsart_base_url}/tools/1.0/balance"),
        ]
        assert [c.status_code for c in calls] == [200, 200, 200, 429]
        assert [c.headers["X-Picsart-Ratelimit-Available"] for c in calls] == ["2", "1", "0", "0"]


def test_unrouted_answers_carry_the_headers(sb: Sandbox) -> None:
    """Every response carries the rate-limit and correlation headers, even for a path no host
    serves (404) or a method a path refuses (405), in the general {"message", "detail"} shape."""
    missing = call(f"{sb.picsart_base_url}/tools/1.0/nothing-here")
    assert missing.status_code == 404 and set(missing.json()) == {"message", "detail"}
    assert has_rate_headers(missing)
    wrong = call(f"{sb.picsart_base_url}/tools/1.0/balance", method="POST")
    assert (wrong.status_code, wrong.json()["message"]) == (405, "Method Not Allowed")
    assert wrong.headers["Allow"] == "GET, HEAD"
    assert has_rate_headers(wrong)
    refused = call(f"{sb.picsart_genai_base_url}/v1/nothing", headers={})
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


def test_reset_time_is_on_the_clock_the_date_header_shows() -> None:
    """The reset time is when the current 60 s window ends, in the same clock as the Date header
    (the sandbox's, here moved 30 days on), and never before the window really ends."""
    with serving(rate_limit_scale=0.002) as sb:
        sb.clock.advance(30 * 86400)
        first = call(f"{sb.picsart_base_url}/tools/1.0/effects")
        limited = call(f"{sb.picsart_base_url}/tools/1.0/effects")
        assert (first.status_code, limited.status_code) == (200, 429)
        for answer in (first, limited):
            date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
            assert 59 <= int(answer.headers["X-Picsart-Ratelimit-Reset-Time"]) - date <= 61
