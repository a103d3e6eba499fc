"""The records a world holds: renders, hosted files, templates and sources, with their ids and URLs."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from media_assets.sandbox.edits import edit_duration, render_stages

VERSIONS = ("v1", "stage")
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
