"""The `media-assets` command: serve the sandbox, run the whole demo against it, or ready a Dagster home."""

import argparse
import io
import shlex
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .lib import project
from .local.sandbox_env import live_world, sandbox_env, sibling_command
from .sandbox import DEFAULT_PICSART_KEY, DEFAULT_SHOTSTACK_KEY, Sandbox
from .sandbox.history import History, history_world


def _init(args: argparse.Namespace) -> int:
    from .local.instance_home import default_home, prepare

    home = prepare(Path(args.home).resolve() if args.home else default_home())
    print(f"Dagster home ready: {home}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .local.instance_home import default_home, prepare

    # before the export lines: whatever the user starts next finds the home's storage ready
    home = prepare(default_home())
    world = (
        history_world(args.seed, datetime.now(UTC), History(args.days))
        if args.days
        else live_world(args.seed)
    )
    sandbox = Sandbox(
        world, picsart_key=args.picsart_key, shotstack_key=args.shotstack_key, callback_url=args.callback_url
    )
    # a history's clock starts at its first day: serve its end, now
    sandbox.clock.advance(args.days * 86400)
    base = f"http://{args.host}:{args.port}"
    sandbox.base_url = base  # known before serving, so the export lines can be printed first
    print(f"Sandbox of Picsart and Shotstack at {base} (seed {args.seed}). Point the sources at it:")
    for name, value in sandbox_env(sandbox, world, args.version).items():
        print(f"  export {name}='{value}'")
    print(f"Then: DAGSTER_HOME={shlex.quote(str(home))} {sibling_command('dagster')} dev")
    sandbox.run(host=args.host, port=args.port)
    return 0


def _callbacks(args: argparse.Namespace) -> int:
    import uvicorn

    from .lib.inbox_table import in_table, where
    from .lib.settings import callback_token, env_name, inbox_dir
    from .local.receiver import CALLBACK_PATH, build_callbacks_app

    table = not args.inbox and in_table()
    inbox = None if table else Path(args.inbox) if args.inbox else inbox_dir()
    token = callback_token()
    query = f"?token=<{env_name('callback_token')}>" if token else ""
    print(f"Receiving Shotstack callbacks at http://{args.host}:{args.port}{CALLBACK_PATH}{query}")
    place = where() if table else f"{inbox}/"
    print(f"Render ids go to {place}; set this URL as the `callback` of each render you POST.")
    uvicorn.run(build_callbacks_app(inbox, token), host=args.host, port=args.port, log_level="warning")
    return 0


def _days(text: str) -> int:
    days = int(text)
    if not 0 <= days <= 365:
        raise argparse.ArgumentTypeError(f"--days takes 0 to 365 days, not {days}")
    return days


def _demo(args: argparse.Namespace) -> int:
    from .local.demo import run_demo

    return run_demo(seed=args.seed, version=args.version, days=args.days)


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

    init = commands.add_parser(
        "init", help="create and migrate a Dagster home's storage, before anything starts on it"
    )
    init.add_argument("--home", help="the Dagster home (default: DAGSTER_HOME, else dagster_home/)")
    init.set_defaults(run=_init)

    demo = commands.add_parser("demo", help="load every asset from a fresh sandbox into DuckDB")
    demo.set_defaults(run=_demo)

    for command in (serve, demo):
        command.add_argument("--seed", type=int, default=7, help="seed of the generated world")
        command.add_argument("--version", choices=("v1", "stage"), default="v1")
        command.add_argument(
            "--days",
            type=_days,
            default=0,
            help="a world with this many days of history, ending now: hourly credit spend with one "
            "top-up, renders on every day (the demo plays them, about 75 s for 21; default 0)",
        )

    args = parser.parse_args(argv)
    project.activate()
    if isinstance(sys.stdout, io.TextIOWrapper):
        # the servers print their URL and export lines, then run for hours: show them now, even in a log
        sys.stdout.reconfigure(line_buffering=True)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
