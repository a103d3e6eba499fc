"""The sandbox's data: renders, hosted assets, templates and sources per Shotstack version."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from media_assets.sandbox.edits import edit_duration, render_stages
from media_assets.sandbox.picsart_world import PicsartWorld

VERSIONS = ("v1", "stage")
FIXED_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DEFAULT_OWNER = "sbx7owner0"
# what Shotstack appends to a render id for its image files (the spec's Output.filename text)
POSTER_SUFFIX = "-poster.jpg"
THUMB_SUFFIX = "-thumb.jpg"
REGION = "au"  # where Serve hosts files: "currently only `au`", says the spec


def ingest_bucket(version: str) -> str:
    """Where Ingest keeps a version's source files and their renditions (the spec's example URLs)."""
    return f"https://shotstack-ingest-api-{version}-sources.s3.ap-southeast-2.amazonaws.com"


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so seeded worlds repeat their ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Render:
    """One render task; its status is a function of the sandbox clock, not stored state."""

    id: str
    version: str
    edit: dict[str, Any]
    created: datetime
    ready_at: datetime
    final_status: str = "done"
    render_time_ms: int = 5000
    owner: str = ""  # empty: the world's owner, the account its one key belongs to
    error: str | None = None
    callback: str | None = None

    @property
    def duration(self) -> float:
        """Output length in seconds, derived from the edit as Shotstack does."""
        return edit_duration(self.edit)

    @property
    def stages(self) -> tuple[str, ...]:
        """The working statuses this render passes through before its final one."""
        return render_stages(self.edit)

    def status_at(self, now: datetime) -> str:
        """The render's working statuses spread evenly over created..ready_at, then the final one."""
        if now >= self.ready_at:
            return self.final_status
        stages = self.stages
        span = (self.ready_at - self.created).total_seconds() or 1.0
        share = max(0.0, (now - self.created).total_seconds() / span)
        return stages[min(len(stages) - 1, int(share * len(stages)))]


@dataclass
class HostedAsset:
    """A file the Serve API hosts for a done render (video, poster or thumbnail)."""

    id: str
    render_id: str
    version: str
    filename: str
    created: datetime
    ready_at: datetime
    final_status: str = "ready"
    owner: str = ""  # empty: the world's owner
    # empty: hosted by Shotstack itself, whose providerId is then the asset id (the spec's words)
    provider_id: str = ""

    def cdn_url(self, owner: str) -> str:
        """Where Serve's CDN hosts this file for `owner`."""
        return f"https://cdn.shotstack.io/{REGION}/{self.version}/{owner}/{self.filename}"

    def status_at(self, now: datetime) -> str:
        """`importing` while the CDN copy is made, then ready (or failed)."""
        return self.final_status if now >= self.ready_at else "importing"


@dataclass
class Template:
    """A saved Edit template as the templates list shows it."""

    id: str
    name: str
    created: datetime
    updated: datetime


@dataclass
class Source:
    """A file ingested through the Ingest API, with its renditions (plain spec-shaped dicts)."""

    id: str
    input: str
    created: datetime
    updated: datetime
    status: str = "ready"
    width: int = 1920
    height: int = 1080
    duration: float = 10.0
    fps: float = 25.0
    renditions: list[dict[str, Any]] = field(default_factory=list)


def make_assets(render: Render, rng: random.Random, failed_share: float = 0.0) -> list[HostedAsset]:
    """Hosted files for a done render: the video always, poster and thumbnail when the edit asks."""
    output = render.edit.get("output", {})
    fmt = output.get("format", "mp4")
    names = [f"{render.id}.{fmt}"]
    if "poster" in output:
        names.append(render.id + POSTER_SUFFIX)
    if "thumbnail" in output:
        names.append(render.id + THUMB_SUFFIX)
    assets = []
    for name in names:
        ready = render.ready_at + timedelta(seconds=rng.randint(2, 10))
        failed = rng.random() < failed_share
        assets.append(
            HostedAsset(
                id=new_uuid(rng),
                render_id=render.id,
                version=render.version,
                filename=name,
                created=render.ready_at,
                ready_at=ready,
                final_status="failed" if failed else "ready",
                owner=render.owner,
            )
        )
    return assets


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
    def generate(cls, seed: int, size: Any = None, now: datetime | None = None) -> World:
        """A seeded world: the same (seed, size, now) always gives the same content."""
        from media_assets.sandbox.generate import generate_world

        return generate_world(seed, size, now)

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
