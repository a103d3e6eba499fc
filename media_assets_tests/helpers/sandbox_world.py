"""Helpers for the sandbox tests: a hand-built world with known content and a serving context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from media_assets.sandbox import (
    DEFAULT_PICSART_KEY,
    DEFAULT_SHOTSTACK_KEY,
    HostedAsset,
    PicsartWorld,
    Render,
    Sandbox,
    Source,
    Template,
    World,
)
from media_assets.sandbox.world import FIXED_NOW

PICSART_HEADERS = {"X-Picsart-API-Key": DEFAULT_PICSART_KEY, "Accept": "application/json"}
SHOTSTACK_HEADERS = {"x-api-key": DEFAULT_SHOTSTACK_KEY}
NOW = FIXED_NOW
DONE_ID = "11111111-1111-4111-8111-111111111111"
FAILED_ID = "22222222-2222-4222-8222-222222222222"
PENDING_ID = "33333333-3333-4333-8333-333333333333"
STAGE_ID = "44444444-4444-4444-8444-444444444444"
VIDEO_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
POSTER_ID = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
STAGE_VIDEO_ID = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"


def edit(length: float = 12.5, callback: str | None = None) -> dict[str, Any]:
    """A minimal Edit valid against the spec, `length` seconds long, with a poster."""
    clip = {"asset": {"type": "video", "src": "https://x.test/a.mp4"}, "start": 2, "length": length}
    body: dict[str, Any] = {
        "timeline": {"tracks": [{"clips": [clip]}]},
        "output": {"format": "mp4", "resolution": "sd", "poster": {"capture": 1}},
    }
    if callback:
        body["callback"] = callback
    return body


def _render(rid: str, version: str, created_s: int, ready_s: int, status: str) -> Render:
    """A render created/ready at offsets (seconds) from NOW."""
    return Render(
        id=rid,
        version=version,
        edit=edit(),
        created=NOW + timedelta(seconds=created_s),
        ready_at=NOW + timedelta(seconds=ready_s),
        final_status=status,
        render_time_ms=(ready_s - created_s) * 1000,
        error="Render failed: bad source" if status == "failed" else None,
    )


def _asset(aid: str, rid: str, version: str, name: str, ready_s: int) -> HostedAsset:
    """A hosted file created at its render's finish; ready `ready_s` seconds after NOW."""
    return HostedAsset(
        id=aid,
        render_id=rid,
        version=version,
        filename=name,
        created=NOW - timedelta(seconds=3000),
        ready_at=NOW + timedelta(seconds=ready_s),
    )


def hand_world() -> World:
    """Exact content: v1 has a done, a failed and a pending (ready in 60 s) render; stage one."""
    day = timedelta(days=1)
    picsart = PicsartWorld(
        balance_series=[900, 850, 800],
        effects=["apr1", "brnz2"],
        ai_effects=["ai_cartoon"],
        images=[
            {"id": f"i{n}", "title": title, "tags": tags, "url": f"https://x.test/{n}.jpg"}
            | {"width": 10, "height": 10, "created": "2026-01-01T00:00:00Z"}
            for n, (title, tags) in enumerate(
                [("Red Sunset", ["sun"]), ("Cityscape", ["urban"]), ("Beach", ["sunset"])]
            )
        ],
        trending=[{"id": f"t{n}", "title": f"T{n}", "url": "u", "rank": n, "score": 1.0} for n in range(7)],
        models=[
            {"id": f"m{n}", "name": "n", "kind": "k", "credits_per_call": 1, "created": "c"} for n in range(5)
        ],
    )
    return World(
        now=NOW,
        owner="handowner",
        picsart=picsart,
        renders=[
            _render(DONE_ID, "v1", -4000, -3000, "done"),
            _render(FAILED_ID, "v1", -2000, -1900, "failed"),
            _render(PENDING_ID, "v1", 0, 60, "done"),
            _render(STAGE_ID, "stage", -4000, -3000, "done"),
        ],
        assets=[
            _asset(VIDEO_ID, DONE_ID, "v1", f"{DONE_ID}.mp4", -2990),
            _asset(POSTER_ID, DONE_ID, "v1", f"{DONE_ID}-poster.jpg", 30),
            _asset(STAGE_VIDEO_ID, STAGE_ID, "stage", f"{STAGE_ID}.mp4", -2990),
        ],
        templates={"v1": [Template(DONE_ID, "Promo", NOW - day, NOW)], "stage": []},
        sources={
            "v1": [Source("abcdefgh-1234-abcd-1234-abcdefghijkl", "https://x.test/in.mp4", NOW - day, NOW)],
            "stage": [],
        },
    )


@contextmanager
def serving(world: World | None = None, **options: Any) -> Iterator[Sandbox]:
    """A sandbox on a free loopback port around the hand-built world (or `world`)."""
    sb = Sandbox(world or hand_world(), **options)
    with sb.serve():
        yield sb
