"""Shotstack facts the OpenAPI document states in prose, which schema validation alone cannot catch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from media_assets.sandbox import Sandbox, World, WorldSize
from media_assets_tests.helpers.sandbox_world import DONE_ID, SHOTSTACK_HEADERS, serving


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with serving() as served:
        yield served


def call(sb: Sandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A Shotstack request with the valid key unless headers are given."""
    kwargs.setdefault("headers", SHOTSTACK_HEADERS)
    return requests.request(method, f"{sb.shotstack_base_url}{path}", timeout=5, **kwargs)


def finished_render(sb: Sandbox, edit: dict[str, Any], version: str = "v1") -> str:
    """POST `edit`, move the clock past its render time, and return the render id."""
    rid = call(sb, "POST", f"/edit/{version}/render", json=edit).json()["response"]["id"]
    sb.clock.advance(60)
    return rid


def clip_edit(asset: dict[str, Any], output: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Edit of one 5-second clip showing `asset`."""
    clip = {"asset": asset, "start": 0, "length": 5}
    return {"timeline": {"tracks": [{"clips": [clip]}]}, "output": {"format": "mp4", **(output or {})}}


VIDEO = {"type": "video", "src": "https://x.test/a.mp4"}
UNKNOWN = "99999999-9999-4999-8999-999999999999"


def test_poster_and_thumbnail_file_names(sb: Sandbox) -> None:
    """The spec: "`-poster.jpg` and `-thumb.jpg` will be appended for poster and thumbnail images";
    the render's URLs and the hosted file names both follow it."""
    rid = finished_render(
        sb, clip_edit(VIDEO, {"poster": {"capture": 1}, "thumbnail": {"capture": 1, "scale": 0.3}})
    )
    body = call(sb, "GET", f"/edit/v1/render/{rid}").json()["response"]
    assert body["poster"].endswith(f"/{rid}-poster.jpg")
    assert body["thumbnail"].endswith(f"/{rid}-thumb.jpg")
    files = call(sb, "GET", f"/serve/v1/assets/render/{rid}").json()["data"]
    names = {f["attributes"]["filename"] for f in files}
    assert names == {f"{rid}.mp4", f"{rid}-poster.jpg", f"{rid}-thumb.jpg"}


def test_provider_id_is_the_asset_id_on_shotstack_hosting(sb: Sandbox) -> None:
    """The spec: "If the provider is Shotstack, the providerID is the same as the asset id"."""
    rid = finished_render(sb, clip_edit(VIDEO))
    (item,) = call(sb, "GET", f"/serve/v1/assets/render/{rid}").json()["data"]
    attributes = item["attributes"]
    assert attributes["providerId"] == attributes["id"]
    one = call(sb, "GET", f"/serve/v1/assets/{attributes['id']}").json()["data"]["attributes"]
    assert one["providerId"] == one["id"]


def statuses(sb: Sandbox, edit: dict[str, Any], steps: int = 12) -> list[str]:
    """The distinct statuses, in order, of a render of `edit` polled `steps` times while it works."""
    rid = call(sb, "POST", "/edit/v1/render", json=edit).json()["response"]["id"]
    render = sb.world.render(rid, "v1")
    assert render is not None
    step = (render.ready_at - render.created).total_seconds() / steps
    seen: list[str] = []
    for _ in range(steps + 1):
        status = call(sb, "GET", f"/edit/v1/render/{rid}?data=false").json()["response"]["status"]
        seen += [] if seen and seen[-1] == status else [status]
        sb.clock.advance(step)
    return seen


@pytest.mark.parametrize(
    ("asset", "expected"),
    [
        (VIDEO, ["queued", "fetching", "preprocessing", "rendering", "saving", "done"]),
        ({"type": "title", "text": "Hi"}, ["queued", "fetching", "rendering", "saving", "done"]),
        (
            {"type": "image", "prompt": "a red fox"},
            ["queued", "fetching", "rendering", "generating", "saving", "done"],
        ),
        (
            {"type": "text-to-speech", "text": "hello", "voice": "Matthew"},
            ["queued", "fetching", "rendering", "generating", "saving", "done"],
        ),
    ],
)
def test_working_statuses_follow_the_edit(sb: Sandbox, asset: dict[str, Any], expected: list[str]) -> None:
    """The spec: `preprocessing` is video assets processed for compatibility, `generating` is
    AI generation; a render shows each only when its edit has such an asset."""
    assert statuses(sb, clip_edit(asset)) == expected


KSUID_RE = re.compile(r"^[0-9a-zA-Z]{8}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{4}-[0-9a-zA-Z]{12}$")
INGEST_BUCKET = "https://shotstack-ingest-api-{}-sources.s3.ap-southeast-2.amazonaws.com"


def test_renditions_have_ingest_ids_and_urls() -> None:
    """Renditions, like sources, have 8-4-4-4-12 ids, and live in the sources bucket as
    <owner>/<source id>/<rendition id>.<ext> (the spec's RenditionResponseAttributes)."""
    seen = 0
    world = World.generate(seed=7, size=WorldSize(sources=12))
    expected = sum(len(source.renditions) for version in ("v1", "stage") for source in world.sources[version])
    assert expected >= 2, "the world holds renditions to check"
    with serving(world) as sb:
        for version in ("v1", "stage"):
            for item in call(sb, "GET", f"/ingest/{version}/sources").json()["data"]:
                source = item["attributes"]
                assert KSUID_RE.match(source["id"])
                assert source["source"].startswith(INGEST_BUCKET.format(version))
                for rendition in source["outputs"]["renditions"]:
                    seen += 1
                    assert KSUID_RE.match(rendition["id"]) and rendition["id"] != source["id"]
                    path = f"{source['owner']}/{source['id']}/{rendition['id']}.mp4"
                    assert rendition["url"] == f"{INGEST_BUCKET.format(version)}/{path}"
    assert seen == expected


def test_keys_are_per_environment() -> None:
    """The spec: send "your provided key for the correct environment (v1 or stage)"; one key
    still covers Edit, Serve and Ingest of its environment."""
    keys = {"v1": {"x-api-key": "prod-key"}, "stage": {"x-api-key": "stage-key"}}
    with serving(shotstack_key="prod-key", shotstack_stage_key="stage-key") as sb:
        for version, other in (("v1", "stage"), ("stage", "v1")):
            for path in (f"/edit/{version}/templates", f"/ingest/{version}/sources"):
                assert call(sb, "GET", path, headers=keys[version]).status_code == 200
                refused = call(sb, "GET", path, headers=keys[other])
                assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
        assert sb.shotstack_key_for("stage") == "stage-key"


def test_every_api_and_version_has_its_published_limit() -> None:
    """Per key and 60-second window: Edit 300/150, Serve 600/300, Ingest 300/120 (v1/stage), each
    its own bucket; over it, a gateway 429 with no rate-limit or Retry-After header."""
    scale = 0.02
    published = {"edit": (300, 150), "serve": (600, 300), "ingest": (300, 120)}
    paths = {
        "edit": "/edit/{}/templates",
        "serve": "/serve/{}/assets/render/" + UNKNOWN,
        "ingest": "/ingest/{}/sources",
    }
    with serving(rate_limit_scale=scale) as sb:
        for api, limits in published.items():
            for version, limit in zip(("v1", "stage"), limits, strict=True):
                allowed = max(1, round(limit * scale))
                answers = [call(sb, "GET", paths[api].format(version)) for _ in range(allowed + 1)]
                assert [a.status_code == 429 for a in answers] == [False] * allowed + [True], (api, version)
                assert answers[-1].json() == {"message": "Too Many Requests"}
                names = {name.lower() for name in answers[-1].headers}
                assert not any("ratelimit" in n or n == "retry-after" for n in names)


def test_one_key_one_owner(sb: Sandbox) -> None:
    """Renders, hosted files, templates and sources reached with one key all name one owner, and
    output URLs carry it (the hand-built world gives only the world an owner)."""
    owner = sb.world.owner
    assert owner == "handowner"
    render = call(sb, "GET", f"/edit/v1/render/{DONE_ID}?data=false").json()["response"]
    assert render["owner"] == owner and f"/{owner}/{DONE_ID}.mp4" in render["url"]
    files = call(sb, "GET", f"/serve/v1/assets/render/{DONE_ID}").json()["data"]
    assert {f["attributes"]["owner"] for f in files} == {owner}
    assert all(f"/{owner}/" in f["attributes"]["url"] for f in files)
    assert call(sb, "GET", "/edit/v1/templates").json()["response"]["owner"] == owner
    assert {s["attributes"]["owner"] for s in call(sb, "GET", "/ingest/v1/sources").json()["data"]} == {owner}


def test_gateway_answers_are_dated_and_405_says_what_is_allowed(sb: Sandbox) -> None:
    """Unrouted paths and wrong methods carry Date like every answer (the sandbox clock), and a
    405 names the allowed methods in Allow, as HTTP requires of a 405."""
    sb.clock.advance(86400)
    for method, path in (("GET", "/edit/v1/nothing"), ("DELETE", "/edit/v1/templates")):
        answer = call(sb, method, path)
        assert answer.headers["content-type"] == "application/json"
        assert parsedate_to_datetime(answer.headers["Date"]).date() == sb.clock.now().date()
    wrong = call(sb, "GET", "/edit/v1/render")
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "POST")
