"""The `media-assets` command: serve the sandbox, or run the whole demo against it."""

import argparse
import io
import json
import shlex
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .sandbox import DEFAULT_PICSART_KEY, DEFAULT_SHOTSTACK_KEY, Sandbox, World


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


def sandbox_env(sandbox: Sandbox, world: World, version: str = "v1") -> dict[str, str]:
    """The environment that points both dlt sources at a running sandbox."""
    return {
        "SOURCES__PICSART_SOURCE__BASE_URL": sandbox.picsart_base_url,
        "SOURCES__PICSART_SOURCE__API_KEY": sandbox.picsart_key,
        "SOURCES__PICSART_SOURCE__IMAGE_SEARCH_QUERY": demo_query(world),
        "SOURCES__SHOTSTACK_SOURCE__BASE_URL": sandbox.shotstack_base_url,
        "SOURCES__SHOTSTACK_SOURCE__API_KEY": sandbox.shotstack_key_for(version),
        "SOURCES__SHOTSTACK_SOURCE__VERSION": version,
        "SOURCES__SHOTSTACK_SOURCE__RENDER_IDS": json.dumps(world.render_ids(version)),
        "SOURCES__SHOTSTACK_SOURCE__ASSET_IDS": json.dumps(hosted_asset_ids(sandbox, version)[:3]),
    }


def _serve(args: argparse.Namespace) -> int:
    world = live_world(args.seed)
    sandbox = Sandbox(
        world, picsart_key=args.picsart_key, shotstack_key=args.shotstack_key, callback_url=args.callback_url
    )
    base = f"http://{args.host}:{args.port}"
    sandbox.base_url = base  # known before serving, so the export lines can be printed first
    print(f"Sandbox of Picsart and Shotstack at {base} (seed {args.seed}). Point the sources at it:")
    for name, value in sandbox_env(sandbox, world, args.version).items():
        print(f"  export {name}='{value}'")
    print(f"Then: DAGSTER_HOME=$PWD/dagster_home {sibling_command('dagster')} dev")
    sandbox.run(host=args.host, port=args.port)
    return 0


def _callbacks(args: argparse.Namespace) -> int:
    import uvicorn

    from .callbacks import CALLBACK_PATH, build_callbacks_app
    from .settings import callback_token, env_name, inbox_dir

    inbox = Path(args.inbox) if args.inbox else inbox_dir()
    token = callback_token()
    query = f"?token=<{env_name('callback_token')}>" if token else ""
    print(f"Receiving Shotstack callbacks at http://{args.host}:{args.port}{CALLBACK_PATH}{query}")
    print(f"Render ids go to {inbox}/; set this URL as the `callback` of each render you POST.")
    uvicorn.run(build_callbacks_app(inbox, token), host=args.host, port=args.port, log_level="warning")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(seed=args.seed, version=args.version)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="media-assets", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("sandbox", help="serve the Picsart and Shotstack emulator")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--picsart-key", default=DEFAULT_PICSART_KEY)
    serve.add_argument("--shotstack-key", default=DEFAULT_SHOTSTACK_KEY)
    serve.add_argument("--callback-url", help="POST Shotstack render callbacks here as renders finish")
    serve.set_defaults(run=_serve)

    receive = commands.add_parser("callbacks", help="receive Shotstack render callbacks into the inbox")
    receive.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    receive.add_argument("--port", type=int, default=8766)
    receive.add_argument("--inbox", help="inbox folder (default: [media_assets] inbox_dir)")
    receive.set_defaults(run=_callbacks)

    demo = commands.add_parser("demo", help="load every asset from a fresh sandbox into DuckDB")
    demo.set_defaults(run=_demo)

    for command in (serve, demo):
        command.add_argument("--seed", type=int, default=7, help="seed of the generated world")
        command.add_argument("--version", choices=("v1", "stage"), default="v1")

    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # the servers print their URL and export lines, then run for hours: show them now, even in a log
        sys.stdout.reconfigure(line_buffering=True)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
