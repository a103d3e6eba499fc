"""Seeded generation of a whole world's contents from (seed, size, now)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from media_assets.sandbox.picsart_world import WORDS, PicsartWorld, generate_picsart
from media_assets.sandbox.records import (
    VERSIONS,
    HostedAsset,
    Render,
    Source,
    Template,
    ingest_bucket,
    make_assets,
    new_uuid,
)

RENDER_ERRORS = (
    "File not found: https://example.com/missing.mp4",
    "Invalid font file in timeline",
    "Render timed out",
)


@dataclass(frozen=True)
class WorldSize:
    """How much of everything a generated world holds; the defaults keep tests fast."""

    renders_v1: int = 10
    renders_stage: int = 4
    pending_share: float = 0.25
    failed_share: float = 0.2
    templates: int = 5
    sources: int = 4
    images: int = 45
    trending: int = 30
    models: int = 25
    effects: int = 8
    ai_effects: int = 5


class WorldContents(TypedDict):
    """A generated world's fields, for `World(**contents)`."""

    now: datetime
    owner: str
    picsart: PicsartWorld
    renders: list[Render]
    assets: list[HostedAsset]
    templates: dict[str, list[Template]]
    sources: dict[str, list[Source]]
    rng: random.Random


def random_edit(rng: random.Random) -> dict[str, Any]:
    """A valid Edit: a video clip then a title, 5..120 s long, sometimes with poster/thumbnail."""
    total = rng.randint(500, 12000)
    cut = rng.randint(100, total - 100)
    output: dict[str, Any] = {"format": "mp4", "resolution": rng.choice(["sd", "hd", "1080"])}
    if rng.random() < 0.5:
        output["poster"] = {"capture": 1}
    if rng.random() < 0.5:
        output["thumbnail"] = {"capture": 1, "scale": 0.3}
    clips = [
        {"asset": {"type": "video", "src": f"https://cdn.example.com/{rng.choice(WORDS)}.mp4"}},
        {"asset": {"type": "title", "text": rng.choice(WORDS).title(), "style": "minimal"}},
    ]
    clips[0].update(start=0, length=cut / 100)
    clips[1].update(start=cut / 100, length=(total - cut) / 100)
    return {"timeline": {"tracks": [{"clips": clips}]}, "output": output}


def _renders(world: WorldContents, rng: random.Random, size: WorldSize, version: str) -> None:
    """Finished renders spread over 14 days, plus a share still in progress at the world's now."""
    now = world["now"]
    count = size.renders_v1 if version == "v1" else size.renders_stage
    pending = set(rng.sample(range(count), round(count * size.pending_share)))
    for n in range(count):
        failed = rng.random() < size.failed_share
        ms = rng.randint(2000, 90000)
        if n in pending:
            created = now - timedelta(seconds=rng.randint(1, 20))
            ready_at = now + timedelta(seconds=rng.randint(5, 60))
        else:
            created = now - timedelta(seconds=rng.randint(3600, 14 * 86400))
            ready_at = created + timedelta(milliseconds=ms)
        render = Render(
            id=new_uuid(rng),
            version=version,
            edit=random_edit(rng),
            created=created,
            ready_at=ready_at,
            final_status="failed" if failed else "done",
            render_time_ms=ms,
            owner=world["owner"],
            error=rng.choice(RENDER_ERRORS) if failed else None,
        )
        world["renders"].append(render)
        if not failed:
            world["assets"].extend(make_assets(render, rng, failed_share=0.1))
    world["renders"].sort(key=lambda r: (r.version != "v1", r.created))


def _source_id(rng: random.Random) -> str:
    """A lowercase alphanumeric 8-4-4-4-12 id, the shape the spec gives source ids."""
    chars = "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(32))
    return "-".join(chars[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))


def _source(rng: random.Random, now: datetime, owner: str, version: str) -> Source:
    """An ingested clip, mostly ready, with zero to two renditions."""
    created = now - timedelta(seconds=rng.randint(3600, 30 * 86400))
    sid = _source_id(rng)
    width, height = rng.choice([(1920, 1080), (1280, 720), (1080, 1920)])
    duration = round(rng.uniform(3, 180), 2)
    fps = rng.choice([24.0, 25.0, 30.0])
    # rendition ids come from their own Random, so adding them never shifts the world's draws
    rids = [_source_id(random.Random(f"{sid}/{k}")) for k in range(2)]
    renditions = [
        {
            "id": rids[k],
            "owner": owner,
            "status": "ready",
            "url": f"{ingest_bucket(version)}/{owner}/{sid}/{rids[k]}.mp4",
            "executionTime": round(rng.uniform(1000, 20000), 1),
            "width": width // (k + 2),
            "height": height // (k + 2),
            "duration": duration,
            "fps": fps,
        }
        for k in range(rng.randint(0, 2))
    ]
    return Source(
        id=sid,
        input=f"https://cdn.example.com/{rng.choice(WORDS)}-{rng.randint(1, 999)}.mp4",
        created=created,
        updated=created + timedelta(seconds=rng.randint(5, 120)),
        status=rng.choices(["ready", "failed", "importing"], weights=[8, 1, 1])[0],
        width=width,
        height=height,
        duration=duration,
        fps=fps,
        renditions=renditions,
    )


def generate_contents(seed: int, size: WorldSize, now: datetime) -> WorldContents:
    """A world's fields, drawn deterministically: one Random(seed) drives every draw in a fixed order."""
    rng = random.Random(seed)
    owner = f"sbx{rng.getrandbits(28):07x}"
    world = WorldContents(
        now=now,
        owner=owner,
        picsart=generate_picsart(rng, size, now),
        renders=[],
        assets=[],
        templates={v: [] for v in VERSIONS},
        sources={v: [] for v in VERSIONS},
        rng=rng,
    )
    for version in VERSIONS:
        _renders(world, rng, size, version)
        for n in range(size.templates):
            created = now - timedelta(seconds=rng.randint(86400, 90 * 86400))
            name = f"{rng.choice(WORDS).title()} template {n + 1}"
            updated = created + timedelta(seconds=rng.randint(0, 86400))
            world["templates"][version].append(Template(new_uuid(rng), name, created, updated))
        world["sources"][version] = [_source(rng, now, owner, version) for _ in range(size.sources)]
    world["rng"] = random.Random(rng.getrandbits(64))
    return world
