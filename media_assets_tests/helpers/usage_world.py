"""Helpers for the usage tests: hand-built worlds of balances and renders, loads and runs with the checks."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest

from media_assets.defs.resources import build_resources
from media_assets.lib.settings import UsageThresholds
from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import HostedAsset, PicsartWorld, Render, Sandbox, World

from .location import assets, checks

EVERYTHING = [*assets(), *checks()]
RENDER_LOADS = ["shotstack/renders", "shotstack/assets_by_render"]
# the check tests' limits, written out so they do not lean on the resource's defaults
LIMITS = UsageThresholds(
    credits_warn_below=1000,
    credits_error_below=200,
    runway_warn_days=7,
    snapshot_max_age_hours=2,
    max_failure_rate=0.2,
)


def edit(seconds: float) -> dict[str, Any]:
    """An Edit whose output lasts exactly `seconds` (one clip from 0)."""
    clip = {"asset": {"type": "video", "src": "https://x.test/in.mp4"}, "start": 0, "length": seconds}
    return {"timeline": {"tracks": [{"clips": [clip]}]}, "output": {"format": "mp4", "resolution": "sd"}}


def render_id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def render(
    n: int, version: str, created: datetime, seconds: float, render_s: float, status: str = "done"
) -> Render:
    """Render number `n`: `seconds` of output, finished `render_s` seconds after it was created."""
    return Render(
        id=render_id(n),
        version=version,
        edit=edit(seconds),
        created=created,
        ready_at=created + timedelta(seconds=render_s),
        final_status=status,
        render_time_ms=int(render_s * 1000),
        error="Render failed: bad source" if status == "failed" else None,
    )


def hosted(renders: Sequence[Render], files_per_render: dict[int, int] | None = None) -> list[HostedAsset]:
    """Hosted files for the done renders, created when the render finished (default: one each)."""
    files = []
    for n, r in enumerate(renders):
        if r.final_status != "done":
            continue
        for k in range((files_per_render or {}).get(n, 1)):
            files.append(
                HostedAsset(
                    id=f"{n:08x}-{k:04x}-4000-9000-000000000000",
                    render_id=r.id,
                    version=r.version,
                    filename=f"{r.id}-{k}.mp4",
                    created=r.ready_at,
                    ready_at=r.ready_at,
                )
            )
    return files


def world(
    now: datetime, balance: Sequence[int] = (1000,), renders: Sequence[Render] = (), files: Any = None
) -> World:
    """A world with only what the usage tables read: balances, renders and their hosted files."""
    return World(
        now=now,
        picsart=PicsartWorld(balance_series=list(balance)),
        renders=list(renders),
        assets=hosted(renders, files),
    )


def healthy_renders(now: datetime) -> list[Render]:
    """Three done renders in the last day; two failures, but 30 hours old."""
    return [
        render(1, "v1", now - timedelta(hours=5), 30, 10),
        render(2, "v1", now - timedelta(hours=3), 60, 10),
        render(3, "v1", now - timedelta(hours=1), 45, 10),
        render(4, "v1", now - timedelta(hours=30), 20, 10, "failed"),
        render(5, "v1", now - timedelta(hours=30), 20, 10, "failed"),
    ]


def real_now() -> datetime:
    """Wall-clock UTC now to the second, for worlds the time-window checks judge against."""
    return datetime.now(UTC).replace(microsecond=0)


def run(
    warehouse: str,
    instance: dg.DagsterInstance,
    selection: Sequence[str] | dg.AssetSelection,
    thresholds: UsageThresholds | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize `selection` (and the checks of what it selects) with the location's resources."""
    resources = build_resources(warehouse)
    if thresholds is not None:
        resources["usage_thresholds"] = thresholds
    return dg.materialize(
        EVERYTHING,
        resources=resources,
        instance=instance,
        selection=selection if isinstance(selection, dg.AssetSelection) else list(selection),
    )


def point_at(sb: Sandbox, mp: pytest.MonkeyPatch, version: str = "v1") -> None:
    """Point both sources at the sandbox for one Shotstack version."""
    for name, value in sandbox_env(sb, sb.world, version).items():
        mp.setenv(name, value)


def load_renders(sb: Sandbox, mp: pytest.MonkeyPatch, warehouse: str, instance: dg.DagsterInstance) -> None:
    """One Shotstack load per version that has renders, as one load covers one version."""
    for version in sorted({r.version for r in sb.world.renders}):
        point_at(sb, mp, version)
        run(warehouse, instance, RENDER_LOADS)


def check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    """The one evaluation of check `name` in a run."""
    found = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert len(found) == 1, f"{name} ran {len(found)} times"
    return found[0]


def value(evaluation: dg.AssetCheckEvaluation, key: str) -> object:
    """A check's metadata value, None for an explicit null."""
    return evaluation.metadata[key].value
