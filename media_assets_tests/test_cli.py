"""The `media-assets` console script itself, run as a user runs it: demo, sandbox and callbacks."""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests

from media_assets.local.receiver import CALLBACK_PATH
from media_assets.local.sandbox_env import demo_query
from media_assets.sandbox import DEFAULT_PICSART_KEY, World
from media_assets.sources.picsart.settings import API_KEY_HEADER, BALANCE_PATH

from .helpers import ROOT, SEED
from .helpers.webserver import bin_path, callback, free_port

COMMAND = bin_path("media-assets")
START_TIMEOUT = 60.0
DEMO_TIMEOUT = 600.0
TABLE_LINE = re.compile(r"^\s+(\w+\.\w+)\s+(\d+) rows$", re.MULTILINE)
EXPORT_LINE = re.compile(r"^\s*export (\w+)='([^']*)'$", re.MULTILINE)
RENDER_ID = "0c9a6f4e-2b1d-4e8a-9f3c-5d7b8a6e4f21"


def workdir(path: Path, duckdb_path: str | None = None) -> Path:
    """A working directory like a clone's: the repo's config.toml (optionally another warehouse path)."""
    (path / ".dlt").mkdir(parents=True)
    config = (ROOT / ".dlt" / "config.toml").read_text()
    if duckdb_path is not None:
        config, replaced = re.subn(r'(?m)^duckdb_path = ".*"$', f'duckdb_path = "{duckdb_path}"', config)
        assert replaced == 1, "config.toml no longer has one duckdb_path line"
    (path / ".dlt" / "config.toml").write_text(config)
    home = path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return path


def command_env(cwd: Path, **extra: str) -> dict[str, str]:
    """This process's environment, with dlt and Dagster state kept inside `cwd` and no output buffering
    left to chance: PYTHONUNBUFFERED is removed so the command's own flushing is what gets tested."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SOURCES__", "MEDIA_ASSETS_")) and name != "PYTHONUNBUFFERED"
    }
    env.update(
        DLT_PROJECT_DIR=str(cwd),
        DLT_DATA_DIR=str(cwd / "dlt-data"),
        DAGSTER_HOME=str(cwd / "dagster_home"),
    )
    env.update(extra)
    return env


def accepts(host: str, port: int) -> bool:
    """Whether a TCP connection to host:port is accepted right now."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def wait_for_port(process: subprocess.Popen, port: int, log: Path) -> None:
    """Block until the command listens on 127.0.0.1:port; fail at once if it exits first."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before listening:\n{log.read_text()}")
        if accepts("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on port {port} within {START_TIMEOUT}s:\n{log.read_text()}")


@contextmanager
def serving(args: list[str], cwd: Path, env: dict[str, str], port: int) -> Iterator[Path]:
    """Run a server subcommand until the block ends; yields the file that collects its stdout and stderr."""
    log = cwd / "command.log"
    with log.open("w") as out:
        process = subprocess.Popen([COMMAND, *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(process, port, log)
            yield log
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def other_loopback_reachable(port: int) -> bool:
    """Whether the port answers on 127.0.0.2, which Linux routes to lo: true of 0.0.0.0, not 127.0.0.1."""
    if not sys.platform.startswith("linux"):
        pytest.skip("127.0.0.2 is a loopback address only on Linux")
    return accepts("127.0.0.2", port)


@dataclass
class DemoRun:
    cwd: Path
    warehouse: Path
    done: subprocess.CompletedProcess


def run_demo(cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [COMMAND, "demo"],
        cwd=cwd,
        env=command_env(cwd, **env),
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One `media-assets demo` in a fresh directory, its warehouse moved by MEDIA_ASSETS__DUCKDB_PATH."""
    cwd = workdir(tmp_path_factory.mktemp("demo"))
    warehouse = tmp_path_factory.mktemp("elsewhere") / "warehouse" / "demo.duckdb"
    done = run_demo(cwd, MEDIA_ASSETS__DUCKDB_PATH=str(warehouse))
    return DemoRun(cwd, warehouse, done)


def printed_tables(stdout: str) -> dict[str, int]:
    return {table: int(rows) for table, rows in TABLE_LINE.findall(stdout)}


def done_at_start(world: World) -> set[str]:
    """Ids of v1 renders already done at the world's now, where the sandbox clock starts."""
    return {r.id for r in world.renders if r.version == "v1" and r.status_at(world.now) == "done"}


def expected_tables(world: World, done_in_warehouse: set[str]) -> dict[str, int]:
    """Rows per table after one demo load, from the world; hosted files follow the renders loaded as done,
    since a render still in progress when the demo starts may finish while it runs."""
    found = world.picsart.search(demo_query(world))
    done_first = done_at_start(world)
    hosted_at_start = [a.id for a in world.assets if a.version == "v1" and a.render_id in done_first]
    return {
        "picsart_data.balance": 1,
        "picsart_data.effects": len(world.picsart.effects),
        "picsart_data.ai_effects": len(world.picsart.ai_effects),
        "picsart_data.image_search": len(found),
        "picsart_data.image_search__tags": sum(len(image["tags"]) for image in found),
        "picsart_data.image_trending": len(world.picsart.trending),
        "picsart_data.video_tools_info": 1,
        "picsart_data.video_tools_info__formats": len(world.picsart.video_info["formats"]),
        "picsart_data.genai_models": len(world.picsart.models),
        "shotstack_data.renders": len(world.render_ids("v1")),
        "shotstack_data.assets": min(3, len(hosted_at_start)),
        "shotstack_data.assets_by_render": sum(len(world.assets_for(r)) for r in done_in_warehouse),
        "shotstack_data.templates": len(world.templates["v1"]),
        "shotstack_data.ingest_sources": len(world.sources["v1"]),
    }


def test_demo_prints_the_worlds_rows_and_balance(demo: DemoRun) -> None:
    """Exit 0, and every printed table count and the balance are what the seeded world holds."""
    assert demo.done.returncode == 0, demo.done.stdout + demo.done.stderr
    out = demo.done.stdout
    assert f"(seed {SEED}, v1)" in out, "the demo's default seed changed; expectations follow SEED"
    world = World.generate(seed=SEED)
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        done = {
            r
            for (r,) in con.execute("select id from shotstack_data.renders where status = 'done'").fetchall()
        }
    assert done_at_start(world) <= done <= {r.id for r in world.renders if r.final_status == "done"}
    expected = expected_tables(world, done)
    tables = printed_tables(out)
    assert {t: tables.get(t) for t in expected} == expected
    # any other table is bookkeeping of what was missing (e.g. unknown render ids): the world lacks nothing
    assert {t: n for t, n in tables.items() if t not in expected and n} == {}
    balance = re.search(r"^Current Picsart credit balance: (\S+)$", out, re.MULTILINE)
    assert balance, out
    # the sandbox answers the first balance call with the start of the world's series, and the demo asks once
    assert balance[1] == str(world.picsart.balance_series[0])


def test_demo_writes_the_configured_warehouse(demo: DemoRun) -> None:
    """The DuckDB file is where MEDIA_ASSETS__DUCKDB_PATH says, and not at the config file's default."""
    assert demo.done.returncode == 0, demo.done.stderr
    assert demo.warehouse.is_file()
    assert f"Loaded into {demo.warehouse}:" in demo.done.stdout
    assert not (demo.cwd / "data" / "media_assets.duckdb").exists()


def test_demo_follows_duckdb_path_in_config_toml(tmp_path: Path) -> None:
    """Without the environment variable, `[media_assets] duckdb_path` in .dlt/config.toml decides."""
    cwd = workdir(tmp_path, duckdb_path="lake/from_config.duckdb")
    done = run_demo(cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (cwd / "lake" / "from_config.duckdb").is_file()
    assert f"Loaded into {cwd / 'lake' / 'from_config.duckdb'}:" in done.stdout


def test_demo_asset_checks_all_pass(demo: DemoRun) -> None:
    """The run stored in DAGSTER_HOME evaluated the checks and all passed, the balance freshness included:
    the sandbox world is dated now, so its snapshot is not judged hundreds of hours old."""
    assert demo.done.returncode == 0, demo.done.stderr
    instance = dg.DagsterInstance.from_config(str(demo.cwd / "dagster_home"))
    try:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        results = {
            e.dagster_event.asset_check_evaluation_data.asset_check_key.name: (
                e.dagster_event.asset_check_evaluation_data.passed
            )
            for e in events
        }
    finally:
        instance.dispose()
    assert "balance_snapshot_recent" in results
    assert {name: passed for name, passed in results.items() if not passed} == {}
    assert f"Asset checks: {len(results)} of {len(results)} passed" in demo.done.stdout


def test_demo_names_dagster_dev(demo: DemoRun) -> None:
    """The UI hint is a `dagster dev` of this environment, with the DAGSTER_HOME the run was stored in."""
    found = re.search(r"^\s*DAGSTER_HOME=(\S+) (\S+) dev\b", demo.done.stdout, re.MULTILINE)
    assert found, demo.done.stdout
    assert found[1] == str(demo.cwd / "dagster_home")
    assert Path(found[2]).name == "dagster" and os.access(found[2], os.X_OK)


def test_demo_query_hint_runs_read_only(demo: DemoRun) -> None:
    """The printed query command opens the warehouse read-only and prints the renders it loaded."""
    lines = demo.done.stdout.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("Query the tables"))
    command = lines[start + 1].strip()
    assert "read_only=True" in command
    ran = subprocess.run(
        command,
        shell=True,
        cwd=demo.cwd,
        env=command_env(demo.cwd),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert str(demo.warehouse) in command
    with duckdb.connect(str(demo.warehouse), read_only=True) as con:
        loaded = [r for (r,) in con.execute("select id from shotstack_data.renders").fetchall()]
    # the table is drawn to the terminal's width, so ids may be cut short, but never their first group
    assert loaded and all(render_id[:8] in ran.stdout for render_id in loaded), ran.stdout


def test_sandbox_serves_the_balance_on_loopback_only(tmp_path: Path) -> None:
    """The printed exports reach a serving sandbox: the default key reads the balance; 127.0.0.1 only."""
    port = free_port()
    env = command_env(workdir(tmp_path))
    with serving(["sandbox", "--port", str(port)], tmp_path, env, port) as log:
        exports = dict(EXPORT_LINE.findall(log.read_text()))
        base_url = exports.get("SOURCES__PICSART_SOURCE__BASE_URL")
        assert base_url and base_url.startswith(f"http://127.0.0.1:{port}/"), log.read_text()
        key = exports["SOURCES__PICSART_SOURCE__API_KEY"]
        assert key == DEFAULT_PICSART_KEY
        headers = {API_KEY_HEADER: key, "Accept": "application/json"}
        response = requests.get(f"{base_url}/{BALANCE_PATH}", headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["credits"] == World.generate(seed=SEED).picsart.balance_series[0]
        headers[API_KEY_HEADER] = "not-" + key
        assert requests.get(f"{base_url}/{BALANCE_PATH}", headers=headers, timeout=10).status_code == 401
        assert not other_loopback_reachable(port)


def inbox_files(inbox: Path) -> list[Path]:
    return sorted(inbox.iterdir()) if inbox.exists() else []


def test_callbacks_require_the_token_and_never_print_it(tmp_path: Path) -> None:
    """Without the shared token a valid callback is refused and writes nothing; with it the id lands."""
    token = f"tok-{secrets.token_hex(12)}"
    inbox = tmp_path / "inbox"
    port = free_port()
    env = command_env(workdir(tmp_path / "cwd"), MEDIA_ASSETS__CALLBACK_TOKEN=token)
    args = ["callbacks", "--port", str(port), "--inbox", str(inbox)]
    with serving(args, tmp_path / "cwd", env, port) as log:
        url = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        assert f"{url}?token=<MEDIA_ASSETS__CALLBACK_TOKEN>" in log.read_text()
        assert requests.post(url, json=callback(RENDER_ID), timeout=10).status_code == 403
        wrong = requests.post(url, params={"token": "not-" + token}, json=callback(RENDER_ID), timeout=10)
        assert wrong.status_code == 403
        assert inbox_files(inbox) == []
        accepted = requests.post(url, params={"token": token}, json=callback(RENDER_ID), timeout=10)
        assert accepted.status_code == 200, accepted.text
        (written,) = inbox_files(inbox)
        assert written.read_text().split() == [RENDER_ID]
        assert not other_loopback_reachable(port)
    printed = log.read_text()
    assert printed and token not in printed
