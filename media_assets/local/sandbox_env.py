"""The environment that points both dlt sources at a running sandbox, and the world it serves."""

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from ..lib.naming import PICSART, SHOTSTACK, Api
from ..sandbox import Sandbox, World


def live_world(seed: int) -> World:
    """A seeded world dated now: the same content, but fresh to checks that compare with the wall clock."""
    return World.generate(seed=seed, now=datetime.now(UTC))


def sibling_command(name: str) -> str:
    """A console script of this environment, by path, so a printed hint works without an activated venv."""
    return shlex.quote(str(Path(sys.executable).parent / name))


def demo_query(world: World) -> str:
    """A search term the generated world has images for."""
    return world.picsart.images[0]["tags"][0] if world.picsart.images else "nature"


def hosted_asset_ids(sandbox: Sandbox, version: str) -> list[str]:
    """Ids of files the sandbox hosts right now: those of renders already done."""
    now = sandbox.clock.now()
    return [
        asset.id
        for asset in sandbox.world.assets
        if asset.version == version
        and sandbox.world.render(asset.render_id, version).status_at(now) == "done"
    ]


def source_env(api: Api, **values: str) -> dict[str, str]:
    """dlt's environment variables for `[sources.<source>]` settings."""
    return {f"SOURCES__{api.source.upper()}__{name.upper()}": value for name, value in values.items()}


def sandbox_env(sandbox: Sandbox, world: World, version: str = "v1") -> dict[str, str]:
    """The environment that points both dlt sources at a running sandbox."""
    return {
        **source_env(
            PICSART,
            base_url=sandbox.picsart_base_url,
            api_key=sandbox.picsart_key,
            image_search_query=demo_query(world),
        ),
        **source_env(
            SHOTSTACK,
            base_url=sandbox.shotstack_base_url,
            api_key=sandbox.shotstack_key_for(version),
            version=version,
            render_ids=json.dumps(world.render_ids(version)),
            asset_ids=json.dumps(hosted_asset_ids(sandbox, version)[:3]),
        ),
    }
