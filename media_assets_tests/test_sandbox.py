"""The sandbox's world, Picsart emulation and knobs (faults, limits, counts, controls) over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from media_assets.sandbox import Fault, Sandbox, World, WorldSize
from media_assets_tests.helpers.sandbox_world import PICSART_HEADERS, SHOTSTACK_HEADERS, serving


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with serving() as served:
        yield served


def get(sb: Sandbox, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET a Picsart path with the valid key unless other headers are given."""
    return requests.get(f"{sb.picsart_base_url}{path}", headers=headers or PICSART_HEADERS, timeout=5)


def test_generate_is_deterministic_and_sized() -> None:
    """Same (seed, size) gives the same world; sizes and the pending share follow WorldSize."""
    size = WorldSize(renders_v1=8, renders_stage=4, pending_share=0.25, images=9)
    one, two = World.generate(seed=3, size=size), World.generate(seed=3, size=size)
    assert one == two
    assert one != World.generate(seed=4, size=size)
    assert (len(one.render_ids("v1")), len(one.render_ids("stage"))) == (8, 4)
    assert len(one.picsart.images) == 9
    pending = [r for r in one.renders if r.ready_at > one.now]
    assert len(pending) == 3
    done = {r.id for r in one.renders if r.final_status == "done"}
    assert {a.render_id for a in one.assets} == done


def test_picsart_key_refused_with_401_body_and_headers(sb: Sandbox) -> None:
    """Missing or wrong key: 401 with the documented body and the rate-limit headers."""
    for headers in ({"Accept": "application/json"}, {**PICSART_HEADERS, "X-Picsart-API-Key": "no"}):
        response = get(sb, "/tools/1.0/balance", headers)
        assert response.status_code == 401
        assert response.json()["code"] == 401 and response.json()["message"] == "Unauthorized"
        assert response.headers["X-Picsart-Ratelimit-Limit"] == "500"
        assert len(response.headers["X-Picsart-Correlation-Id"]) == 36


def test_picsart_406_after_auth(sb: Sandbox) -> None:
    """An Accept that admits no JSON is 406, but a bad key still wins with 401."""
    html = {**PICSART_HEADERS, "Accept": "text/html"}
    response = get(sb, "/tools/1.0/effects", html)
    assert response.status_code == 406
    assert response.json()["message"] == "Not Acceptable"
    assert get(sb, "/tools/1.0/effects", {**html, "X-Picsart-API-Key": "x"}).status_code == 401


def test_balance_walks_series_then_sticks(sb: Sandbox) -> None:
    """Each call returns the next balance, then the last; the credit header matches the body."""
    seen = []
    for _ in range(4):
        response = get(sb, "/tools/1.0/balance")
        assert response.headers["X-Picsart-Credit-Available"] == str(response.json()["credits"])
        seen.append(response.json()["credits"])
    assert seen == [900, 850, 800, 800]


def test_effects_lists(sb: Sandbox) -> None:
    """Both effect lists come back as {"status":"success","data":[{"name"}]}."""
    assert get(sb, "/tools/1.0/effects").json() == {
        "status": "success",
        "data": [{"name": "apr1"}, {"name": "brnz2"}],
    }
    assert get(sb, "/tools/1.0/effects/ai").json()["data"] == [{"name": "ai_cartoon"}]
    assert get(sb, "/video-tools/info").json()["data"]["service"] == "video-tools"


@pytest.mark.parametrize(
    ("path", "key", "attr"),
    [("/image-tools/trending", "items", "trending"), ("/genai-tools/models", "models", "models")],
)
def test_paging_concatenates_to_world(sb: Sandbox, path: str, key: str, attr: str) -> None:
    """Pages of 3 follow next_page to exactly the world's list; the last page has no next_page."""
    rows, page = [], 1
    while True:
        body = get(sb, f"{path}?page={page}&page_size=3").json()
        rows += body[key]
        if "next_page" not in body:
            break
        assert body["next_page"] == page + 1
        page += 1
    assert rows == getattr(sb.world.picsart, attr)
    assert page == -(-len(rows) // 3)


def test_paging_rejects_bad_parameters(sb: Sandbox) -> None:
    """page_size above 100, page 0, non-integers and a missing q are 400 with message+detail."""
    for query in ("page_size=101", "page=0", "page=x"):
        response = get(sb, f"/image-tools/trending?{query}")
        assert response.status_code == 400
        assert set(response.json()) == {"message", "detail"}
    assert get(sb, "/image-tools/search").status_code == 400
    assert get(sb, "/image-tools/search?q=").status_code == 400


def test_search_matches_tag_or_title(sb: Sandbox) -> None:
    """q matches a whole tag or part of a title, case-insensitively, never part of a tag."""
    titles = {r["title"] for r in get(sb, "/image-tools/search?q=SUNSET").json()["results"]}
    assert titles == {"Red Sunset", "Beach"}
    assert [r["title"] for r in get(sb, "/image-tools/search?q=urb").json()["results"]] == []
    assert get(sb, "/image-tools/search?q=sun").json()["results"] == sb.world.picsart.search("sun")
    assert [r["id"] for r in sb.world.picsart.search("sun")] == ["i0"], "Beach's tag is sunset"


def test_picsart_rate_limit_counts_down() -> None:
    """With limit 500 x 0.006 = 3 the headers count 2, 1, 0, then 429 with the headers."""
    with serving(rate_limit_scale=0.006) as sb:
        available = [get(sb, "/tools/1.0/effects").headers["X-Picsart-Ratelimit-Available"] for _ in range(3)]
        assert available == ["2", "1", "0"]
        response = get(sb, "/tools/1.0/balance")
        assert response.status_code == 429
        assert response.json()["message"] == "Too Many Requests"
        assert response.headers["X-Picsart-Ratelimit-Limit"] == "3"
        assert response.headers["X-Picsart-Ratelimit-Available"] == "0"


def test_rate_window_refills() -> None:
    """After rate_window_seconds the bucket is full again."""
    with serving(rate_limit_scale=0.002, rate_window_seconds=0.3) as sb:
        assert get(sb, "/tools/1.0/effects").status_code == 200
        assert get(sb, "/tools/1.0/effects").status_code == 429
        time.sleep(0.35)
        assert get(sb, "/tools/1.0/effects").status_code == 200


def test_fault_count_and_kinds(sb: Sandbox) -> None:
    """count=2 injects exactly two 503s; malformed is 200 JSON that does not parse; 404 stands
    for an endpoint the real service lacks; wrong_content_type is a 200 HTML page; each armed
    fault's hits are tallied; unknown kinds are refused."""
    sb.set_fault("picsart.effects", Fault(kind=503, count=2))
    statuses = [get(sb, "/tools/1.0/effects").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    sb.set_fault("picsart.balance", Fault(kind="malformed"))
    response = get(sb, "/tools/1.0/balance")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "X-Picsart-Ratelimit-Available" in response.headers
    with pytest.raises(ValueError):
        response.json()
    sb.set_fault("picsart.image_trending", Fault(kind=404))
    missing = get(sb, "/image-tools/trending")
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")
    sb.set_fault("picsart.effects", Fault(kind="wrong_content_type"))
    page = get(sb, "/tools/1.0/effects")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>") and "X-Picsart-Ratelimit-Available" in page.headers
    assert sb.faults.injected() == {"picsart.effects": 1, "picsart.balance": 1, "picsart.image_trending": 1}
    sb.clear_faults()
    assert get(sb, "/tools/1.0/balance").status_code == 200
    with pytest.raises(ValueError):
        Fault(kind=418)


def test_text_numbers_fault_serves_the_real_answer_with_numbers_as_text(sb: Sandbox) -> None:
    """text_numbers keeps the status, headers and shape, but each number arrives as text no number
    parser reads; once its count is spent, numbers are numbers again."""
    sb.set_fault("picsart.image_trending", Fault(kind="text_numbers", count=1))
    retyped = get(sb, "/image-tools/trending?page_size=3")
    plain = get(sb, "/image-tools/trending?page_size=3")
    assert retyped.status_code == 200 and "X-Picsart-Ratelimit-Available" in retyped.headers
    first = sb.world.picsart.trending[:3]
    assert retyped.json() == {
        "items": [{**item, "rank": f"{item['rank']}s", "score": f"{item['score']}s"} for item in first],
        "next_page": "2s",
    }
    assert plain.json() == {"items": first, "next_page": 2}


def test_fault_share_is_seeded(sb: Sandbox) -> None:
    """share=0.5 hits some calls but not all, in the same order every time it is armed."""
    runs = []
    for _ in range(2):
        sb.set_fault("picsart.effects_ai", Fault(kind=500, share=0.5))
        runs.append([get(sb, "/tools/1.0/effects/ai").status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_fault_never_masks_auth(sb: Sandbox) -> None:
    """A bad key is refused even while a fault is armed (and the fault is not spent)."""
    sb.set_fault("shotstack.templates", Fault(kind=500, count=1))
    url = f"{sb.shotstack_base_url}/edit/v1/templates"
    assert requests.get(url, headers={"x-api-key": "bad"}, timeout=5).status_code == 403
    assert requests.get(url, headers=SHOTSTACK_HEADERS, timeout=5).status_code == 500
    assert requests.get(url, headers=SHOTSTACK_HEADERS, timeout=5).status_code == 200


def test_counts_every_status_and_resets(sb: Sandbox) -> None:
    """counts tallies per endpoint name whatever the status; reset_counts empties it."""
    get(sb, "/tools/1.0/balance")
    get(sb, "/tools/1.0/balance", {"Accept": "application/json"})
    requests.get(f"{sb.shotstack_base_url}/ingest/v1/sources", timeout=5)
    assert sb.counts == {"picsart.balance": 2, "shotstack.sources": 1}
    assert requests.get(f"{sb.base_url}/_sandbox/counts", timeout=5).json() == dict(sb.counts)
    sb.reset_counts()
    assert sb.counts == {}


def test_keeps_each_endpoints_last_request_headers(sb: Sandbox) -> None:
    """last_headers shows what a client sent to each endpoint, latest request only; reset_counts forgets."""
    get(sb, "/tools/1.0/balance", {**PICSART_HEADERS, "X-Trace": "first"})
    get(sb, "/tools/1.0/balance", {**PICSART_HEADERS, "X-Trace": "second"})
    requests.get(f"{sb.shotstack_base_url}/ingest/v1/sources", headers=SHOTSTACK_HEADERS, timeout=5)
    assert set(sb.last_headers) == {"picsart.balance", "shotstack.sources"}
    assert sb.last_headers["picsart.balance"]["x-trace"] == "second"
    assert sb.last_headers["picsart.balance"]["accept"] == "application/json"
    assert sb.last_headers["shotstack.sources"]["x-api-key"] == SHOTSTACK_HEADERS["x-api-key"]
    assert "x-trace" not in sb.last_headers["shotstack.sources"]
    sb.reset_counts()
    assert sb.last_headers == {}


def test_latency_per_endpoint(sb: Sandbox) -> None:
    """An endpoint's own latency delays it; other endpoints keep the global (zero)."""
    sb.set_latency(0.3, endpoint="picsart.effects")
    start = time.monotonic()
    get(sb, "/tools/1.0/effects/ai")
    fast = time.monotonic() - start
    start = time.monotonic()
    get(sb, "/tools/1.0/effects")
    assert time.monotonic() - start >= 0.3 > fast


def test_control_surface(sb: Sandbox) -> None:
    """/_sandbox: world summary without keys, clock advance, faults set and cleared over HTTP."""
    summary = requests.get(f"{sb.base_url}/_sandbox/world", timeout=5)
    assert summary.json()["render_ids"]["stage"] == sb.world.render_ids("stage")
    assert sb.picsart_key not in summary.text and sb.shotstack_key not in summary.text
    before = sb.clock.now()
    requests.post(f"{sb.base_url}/_sandbox/clock/advance", json={"seconds": 3600}, timeout=5)
    assert (sb.clock.now() - before).total_seconds() >= 3600
    fault = {"endpoint": "picsart.effects", "kind": "502", "count": 1}
    assert requests.post(f"{sb.base_url}/_sandbox/faults", json=fault, timeout=5).ok
    assert get(sb, "/tools/1.0/effects").status_code == 502
    fault = {"endpoint": "picsart.effects", "kind": 500}
    requests.post(f"{sb.base_url}/_sandbox/faults", json=fault, timeout=5)
    requests.delete(f"{sb.base_url}/_sandbox/faults", timeout=5)
    assert get(sb, "/tools/1.0/effects").status_code == 200
    bad = {"endpoint": "nope", "kind": 500}
    assert requests.post(f"{sb.base_url}/_sandbox/faults", json=bad, timeout=5).status_code == 400
