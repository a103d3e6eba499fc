""" "Materialize all" as the UI launches it, timed for each executor, side by side in one run.

    .venv/bin/python benchmarks/materialize_all.py [--rounds 2]

The sandbox serves the demo world. For each executor and round: a fresh Dagster home, DuckDB
file and dlt state; `dagster-webserver` on the project's location; every asset with its checks
launched as one run through GraphQL, as the UI's button does; the time from launch to success.
The project's executor (in process) is compared with the one it replaced (`multiprocess_location.py`:
each step a process of its own, one at a time). Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from media_assets.local.sandbox_env import live_world, sandbox_env  # noqa: E402
from media_assets.sandbox import Sandbox  # noqa: E402
from media_assets_tests.helpers.webserver import bin_path, instance_home, serve_ui  # noqa: E402

SEED = 7
EXECUTORS = {
    "in process (the project's)": "media_assets.definitions",
    "a process per step, one at a time (before)": "multiprocess_location",
}


def workspace(folder: Path, module: str) -> Path:
    path = folder / "workspace.yaml"
    path.write_text(
        f"load_from:\n  - python_module:\n      module_name: {module}\n      location_name: media_assets\n"
    )
    return path


def every_asset() -> list[list[str]]:
    from media_assets.definitions import defs

    return [list(key.path) for key in defs().resolve_asset_graph().get_all_asset_keys()]


def materialize_all(folder: Path, module: str, sandbox: Sandbox, env: dict[str, str]) -> float:
    """Seconds from launching every asset in one run until it succeeded."""
    folder.mkdir(parents=True)
    home = instance_home(folder / "home")
    env = {
        **env,
        "DAGSTER_HOME": str(home),
        "MEDIA_ASSETS__DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "DLT_DATA_DIR": str(folder / "dlt"),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
    }
    command = [bin_path("dagster-webserver"), "-w", str(workspace(folder, module))]
    with serve_ui(command, env, folder / "webserver.log", workspace=False) as graphql:
        graphql.wait_for_location()
        started = time.perf_counter()
        run_id = graphql.launch(every_asset())
        status = graphql.wait_for_run(run_id, timeout=600)
        seconds = time.perf_counter() - started
    if status != "SUCCESS":
        raise RuntimeError(f"{module}: run {run_id} ended {status}; see {folder / 'webserver.log'}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs per executor, alternating")
    rounds = parser.parse_args().rounds
    world = live_world(SEED)
    sandbox = Sandbox(world, clock_speed=0.0)
    times: dict[str, list[float]] = {name: [] for name in EXECUTORS}
    with tempfile.TemporaryDirectory() as tmp, sandbox.serve():
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "MEDIA_ASSETS__"))}
        env = {**clean, **sandbox_env(sandbox, world), "MEDIA_ASSETS__AUTOMATION": "off"}
        for round_ in range(rounds):
            for n, (name, module) in enumerate(EXECUTORS.items()):
                seconds = materialize_all(Path(tmp) / f"{round_}-{n}", module, sandbox, env)
                times[name].append(seconds)
                print(f"round {round_ + 1}, {name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    assets = len(every_asset())
    baseline = statistics.median(times[list(EXECUTORS)[1]])
    print(f"Materialize all: {assets} assets and their checks in one run, demo world (seed {SEED})\n")
    print("| executor | launch to success, each round | median | against before |")
    print("|---|---|---|---|")
    for name, measured in times.items():
        each = ", ".join(f"{s:.1f} s" for s in measured)
        median = statistics.median(measured)
        print(f"| {name} | {each} | {median:.1f} s | {median / baseline:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
