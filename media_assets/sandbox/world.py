"""The World: every record the sandbox serves, per Shotstack version, and the lookups handlers use."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from media_assets.sandbox.generate import WorldSize, generate_contents
from media_assets.sandbox.picsart_world import PicsartWorld
from media_assets.sandbox.records import (
    VERSIONS,
    HostedAsset,
    Render,
    Source,
    Template,
    make_assets,
    new_uuid,
)

FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DEFAULT_OWNER = "sbx7owner0"


@dataclass
class World:
    """Everything the sandbox serves; build by hand for exact tests or with `generate`."""

    now: datetime = FIXED_NOW
    owner: str = DEFAULT_OWNER
    picsart: PicsartWorld = field(default_factory=PicsartWorld)
    renders: list[Render] = field(default_factory=list)
    assets: list[HostedAsset] = field(default_factory=list)
    templates: dict[str, list[Template]] = field(default_factory=lambda: {v: [] for v in VERSIONS})
    sources: dict[str, list[Source]] = field(default_factory=lambda: {v: [] for v in VERSIONS})
    rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @classmethod
    def generate(cls, seed: int, size: WorldSize | None = None, now: datetime | None = None) -> World:
        """A seeded world: the same (seed, size, now) always gives the same content."""
        return cls(**generate_contents(seed, size or WorldSize(), now or FIXED_NOW))

    def owner_of(self, item: Render | HostedAsset) -> str:
        """Who a render or file belongs to: one key is one account, so the world's owner by default."""
        return item.owner or self.owner

    def render(self, render_id: str, version: str) -> Render | None:
        """The render with this id in this version (a stage render is unknown to v1)."""
        key = render_id.lower()
        return next((r for r in self.renders if r.id == key and r.version == version), None)

    def render_ids(self, version: str) -> list[str]:
        """Ids of every render in `version`, in creation order."""
        return [r.id for r in self.renders if r.version == version]

    def assets_for(self, render_id: str) -> list[HostedAsset]:
        """All hosted files of a render, whatever the clock says."""
        return [a for a in self.assets if a.render_id == render_id.lower()]

    def asset(self, asset_id: str, version: str) -> HostedAsset | None:
        """The hosted file with this id in this version."""
        key = asset_id.lower()
        return next((a for a in self.assets if a.id == key and a.version == version), None)

    def asset_ids(self, version: str) -> list[str]:
        """Ids of every hosted file in `version`."""
        return [a.id for a in self.assets if a.version == version]

    def add_render(
        self,
        edit: dict[str, Any],
        version: str,
        created: datetime,
        render_time_ms: int | None = None,
        final_status: str = "done",
        callback: str | None = None,
    ) -> Render:
        """Queue a new render (POST /render); its hosted files appear once it is done."""
        ms = render_time_ms if render_time_ms is not None else self.rng.randint(3000, 15000)
        render = Render(
            id=new_uuid(self.rng),
            version=version,
            edit=edit,
            created=created,
            ready_at=created + timedelta(milliseconds=ms),
            final_status=final_status,
            render_time_ms=ms,
            owner=self.owner,
            error="Render failed: invalid asset" if final_status == "failed" else None,
            callback=callback,
        )
        self.renders.append(render)
        if final_status == "done":
            self.assets.extend(make_assets(render, self.rng))
        return render

    def summary(self) -> dict[str, Any]:
        """What an out-of-process user needs to know: ids and sizes, never keys."""
        return {
            "now": self.now.isoformat(),
            "owner": self.owner,
            "render_ids": {v: self.render_ids(v) for v in VERSIONS},
            "asset_ids": {v: self.asset_ids(v) for v in VERSIONS},
            "templates": {v: len(self.templates[v]) for v in VERSIONS},
            "sources": {v: len(self.sources[v]) for v in VERSIONS},
            "picsart": self.picsart.summary(),
        }
