"""Picsart's side of the world: credit balances, effect names and the brief-only catalogues."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WORDS = [
    "sunset",
    "beach",
    "city",
    "night",
    "forest",
    "portrait",
    "neon",
    "retro",
    "winter",
    "desert",
    "ocean",
    "mountain",
    "street",
    "coffee",
    "autumn",
    "vintage",
    "abstract",
    "studio",
    "garden",
    "skyline",
]
EFFECT_NAMES = [
    "apr1",
    "apr2",
    "apr3",
    "brnz1",
    "brnz2",
    "cyber1",
    "dodger",
    "film1",
    "food1",
    "icy1",
    "light1",
    "mnch1",
    "nature1",
    "ntrl1",
    "pnk1",
    "saturation",
    "sft1",
    "tl1",
    "tmp1",
    "vintage1",
    "zurich1",
]
AI_EFFECT_NAMES = [
    "ai_cartoon",
    "ai_sketch",
    "ai_anime",
    "ai_oil",
    "ai_pop",
    "ai_comic",
    "ai_watercolor",
]
MODEL_KINDS = ("text2image", "image2image", "inpainting", "upscale", "background")


@dataclass
class PicsartWorld:
    """Plain lists of spec-shaped dicts, so tests can write exact content by hand."""

    balance_series: list[int] = field(default_factory=lambda: [1000])
    # (from when, credits) in time order: when set, the balance follows the sandbox clock instead
    balance_timeline: list[tuple[datetime, int]] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)
    ai_effects: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    trending: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    video_info: dict[str, Any] = field(
        default_factory=lambda: {
            "service": "video-tools",
            "version": "1.0",
            "formats": ["mp4", "mov", "webm"],
            "max_duration_seconds": 300,
            "max_resolution": "3840x2160",
        }
    )

    # the last search's term, the image list it read, and its matches: paging through 100,000
    # results must not scan every image again for each page
    _last_search: tuple[str, int, int, list[dict[str, Any]]] | None = field(
        default=None, repr=False, compare=False
    )

    def search(self, term: str) -> list[dict[str, Any]]:
        """Images the search endpoint returns for `term`: equal to a tag or inside the title."""
        needle = term.lower()
        key = (needle, id(self.images), len(self.images))
        if self._last_search is not None and self._last_search[:3] == key:
            return self._last_search[3]
        found = [
            img
            for img in self.images
            if needle in (t.lower() for t in img["tags"]) or needle in img["title"].lower()
        ]
        self._last_search = (*key, found)
        return found

    def credits_at(self, now: datetime) -> int | None:
        """The timeline's balance at `now` (its first value before it starts), or None without one."""
        if not self.balance_timeline:
            return None
        at = [credits for moment, credits in self.balance_timeline if moment <= now]
        return at[-1] if at else self.balance_timeline[0][1]

    def summary(self) -> dict[str, int]:
        """Sizes of each catalogue, for the control surface."""
        return {
            "balance_steps": len(self.balance_series),
            "effects": len(self.effects),
            "ai_effects": len(self.ai_effects),
            "images": len(self.images),
            "trending": len(self.trending),
            "models": len(self.models),
        }


def _stamp(rng: random.Random, now: datetime, days: int) -> str:
    """An ISO-8601 UTC time within `days` before now."""
    moment = now - timedelta(seconds=rng.randint(60, days * 86400))
    return moment.isoformat().replace("+00:00", "Z")


def generate_picsart(rng: random.Random, size: Any, now: datetime) -> PicsartWorld:
    """A seeded Picsart world sized by `size` (a WorldSize)."""
    start = rng.randint(2000, 9000)
    balance = [start]
    for _ in range(5):
        balance.append(max(0, balance[-1] - rng.randint(5, 120)))
    images = []
    for n in range(size.images):
        tags = sorted(rng.sample(WORDS, 3))
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {n + 1}"
        width, height = rng.choice([(1920, 1080), (1080, 1350), (2048, 2048), (1280, 720)])
        images.append(
            {
                "id": f"img_{rng.getrandbits(40):010x}",
                "title": title,
                "tags": tags,
                "url": f"https://cdn.picsart.io/img/{n + 1:05d}.jpg",
                "width": width,
                "height": height,
                "created": _stamp(rng, now, 365),
            }
        )
    trending = [
        {
            "id": f"trd_{rng.getrandbits(40):010x}",
            "title": f"{rng.choice(WORDS).title()} trend {rank}",
            "url": f"https://cdn.picsart.io/trending/{rank:04d}.jpg",
            "rank": rank,
            "score": round(1000.0 / rank + rng.random(), 3),
        }
        for rank in range(1, size.trending + 1)
    ]
    models = [
        {
            "id": f"mdl_{rng.getrandbits(32):08x}",
            "name": f"{rng.choice(WORDS)}-{rng.choice(MODEL_KINDS)}-v{n % 4 + 1}",
            "kind": rng.choice(MODEL_KINDS),
            "credits_per_call": rng.choice([1, 2, 4, 8, 10]),
            "created": _stamp(rng, now, 720),
        }
        for n in range(size.models)
    ]
    return PicsartWorld(
        balance_series=balance,
        effects=rng.sample(EFFECT_NAMES, min(size.effects, len(EFFECT_NAMES))),
        ai_effects=rng.sample(AI_EFFECT_NAMES, min(size.ai_effects, len(AI_EFFECT_NAMES))),
        images=images,
        trending=trending,
        models=models,
    )
