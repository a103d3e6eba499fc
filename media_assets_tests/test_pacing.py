"""Requests keep to the published limits: paced per bucket, one budget across processes, a backlog
drained in one run, and Picsart's reset time honoured after a 429.

The sandbox's windows are compressed (seconds, not a minute) and its limits scaled, and the pace's
settings say the same, so each run crosses several windows in a few seconds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import dlt
import pytest
import requests

from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Sandbox, World, WorldSize
from media_assets.sources.pacing import Pace
from media_assets.sources.shotstack import settings as shotstack_settings
from media_assets.sources.shotstack import shotstack_source

from .helpers import ROOT
from .helpers.materialize import count, materialize
from .helpers.pace import busiest_window, pace_env, refused

WINDOW = 1.0  # seconds, in the sandbox and in the pace's settings alike
EDIT_SCALE = 0.01  # Edit v1's 300 calls per window become 3, Serve v1's 600 become 6


def _use(sandbox: Sandbox, world: World, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in {**sandbox_env(sandbox, world), **env}.items():
        monkeypatch.setenv(name, value)


def test_a_backlog_bigger_than_a_window_completes_in_one_run_and_no_window_exceeds_the_limit(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve renders against 3 Edit calls per window: one run looks up every one, waiting for
    each next window inside the run, and fetches the files of the done ones on Serve's budget
    meanwhile; the sandbox answers no 429, and no window of its log (any second, not only the
    ones it started) holds more than the limit, for Edit and Serve alike."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=12, renders_stage=0, pending_share=0.0))
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=EDIT_SCALE, rate_window_seconds=WINDOW)
    limits = {"shotstack_edit_v1": 3, "shotstack_serve_v1": 6}
    with sandbox.serve():
        _use(sandbox, world, monkeypatch, pace_env(WINDOW, 60, limits))
        selection = ["shotstack/renders", "shotstack/assets_by_render"]
        result = materialize(warehouse, instance, selection=selection)
        log = list(sandbox.limiter.log)

    materialized = result.asset_materializations_for_node("shotstack")
    renders = next(m for m in materialized if m.asset_key.path[-1] == "renders")
    assert renders.metadata["renders_deferred"].value == []
    done = [r for r in world.renders if r.version == "v1" and r.final_status == "done"]
    # the files of done renders are asked for during the lookups, so both count them between them
    assert sum(m.metadata["requests"].value for m in materialized) == 12 + len(done)
    assert sum(m.metadata["rate_limited_429s"].value for m in materialized) == 0
    assert count(warehouse, "shotstack_data.renders") == 12
    files = sum(len(world.assets_for(r.id)) for r in done)
    assert count(warehouse, "shotstack_data.assets_by_render") == files
    assert refused(log) == 0
    assert busiest_window(log, "edit/v1", WINDOW) <= 3
    assert busiest_window(log, "serve/v1", WINDOW) <= 6


def look_up_alone(sandbox: Sandbox, pace: Pace, tmp_path: Path) -> None:
    """Every v1 render of the serving sandbox's world looked up by the plain dlt source, outside
    Dagster, with `pace` and a DuckDB file of its own."""
    pipeline = dlt.pipeline(
        "standalone_pace",
        destination=dlt.destinations.duckdb(str(tmp_path / "standalone.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    source = shotstack_source(
        api_key=sandbox.shotstack_key,
        base_url=sandbox.shotstack_base_url,
        render_ids=sandbox.world.render_ids("v1"),
        pace=pace,
    )
    pipeline.run(source.with_resources("renders"))


def test_a_source_run_on_its_own_paces_itself(tmp_path: Path) -> None:
    """A source given a pace of its own process only (no shared store, as outside Dagster) takes
    every request's permit from one limiter per bucket: nine lookups against 3 Edit calls per
    window span three windows, and the sandbox refuses none."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=9, renders_stage=0, pending_share=0.0))
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=EDIT_SCALE, rate_window_seconds=WINDOW)
    limits = {**shotstack_settings.RATE_LIMITS, "edit/v1": 3}
    pace = Pace(limits, window_seconds=WINDOW, workers=8)
    with sandbox.serve():
        look_up_alone(sandbox, pace, tmp_path)
        log = list(sandbox.limiter.log)

    assert pace.tally.requests == 9
    assert refused(log) == 0
    assert busiest_window(log, "edit/v1", WINDOW) <= 3


def test_a_slow_answer_widens_the_guard_between_windows(tmp_path: Path) -> None:
    """A request reaches the API some time after its permit: once answers take 0.15 s, a permit's
    window becomes the API's plus at least that (never past a tenth of the window), so a call sent
    late in one window and one sent early in the next cannot meet in one window of the API."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=4, renders_stage=0, pending_share=0.0))
    window = 2.0
    sandbox = Sandbox(world, clock_speed=0.0, latency=0.15, rate_window_seconds=window)
    pace = Pace(shotstack_settings.RATE_LIMITS, window_seconds=window, workers=2)
    with sandbox.serve():
        look_up_alone(sandbox, pace, tmp_path)

    permits = pace.permits(sandbox.shotstack_key, "edit/v1")
    assert 0.15 <= permits.guard <= 0.1 * window
    (bucket,) = permits.limiter.buckets()
    assert [rate.interval for rate in bucket.rates] == [round((window + permits.guard) * 1000)]


def test_what_the_time_budget_leaves_is_deferred_to_the_next_run(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a time budget shorter than a window, a run looks up one window's worth and defers the
    rest, and succeeds; the next run, a window later, goes on where it stopped."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=5, renders_stage=0, pending_share=0.0))
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=EDIT_SCALE, rate_window_seconds=WINDOW)
    with sandbox.serve():
        _use(sandbox, world, monkeypatch, pace_env(WINDOW, 0.1, {"shotstack_edit_v1": 3}))
        first = materialize(warehouse, instance, selection=["shotstack/renders"])
        meta = first.asset_materializations_for_node("shotstack")[0].metadata
        assert meta["renders_looked_up"].value == 3
        assert len(meta["renders_deferred"].value) == 2
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")  # only the state remembers them
        monkeypatch.setenv("MEDIA_ASSETS__RUN_SECONDS", "30")
        assert materialize(warehouse, instance, selection=["shotstack/renders"]).success
        assert refused(sandbox.limiter.log) == 0
    assert count(warehouse, "shotstack_data.renders") == 5


def test_two_runs_at_once_share_one_budget(tmp_path: Path) -> None:
    """Two processes, each looking up 8 renders against 3 Edit calls per window, share the budget in
    one file: the sandbox answers no 429 and no window of its log holds more than the limit. Each
    process alone would send 3 per window, 6 together."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=16, renders_stage=0, pending_share=0.0))
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=EDIT_SCALE, rate_window_seconds=WINDOW)
    ids = world.render_ids("v1")
    store = tmp_path / "shared" / "rate_limits.sqlite"
    with sandbox.serve():
        base = {
            **os.environ,
            **sandbox_env(sandbox, world),
            **pace_env(WINDOW, 60, {"shotstack_edit_v1": 3}, rate_limit_store=str(store)),
        }
        runs = []
        for n, half in enumerate((ids[:8], ids[8:])):
            env = {
                **base,
                "SOURCES__SHOTSTACK_SOURCE__RENDER_IDS": json.dumps(half),
                "DLT_DATA_DIR": str(tmp_path / f"dlt{n}"),
            }
            command = [sys.executable, "-m", "media_assets_tests.helpers.paced_run", str(tmp_path / f"w{n}")]
            runs.append(
                subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            )
        outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
        log = list(sandbox.limiter.log)

    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all("'requests': 8, 'rate_limited_429s': 0" in out for out in outputs), outputs
    assert sum(b == "edit/v1" for _, b, _ in log) == 16
    assert refused(log) == 0
    assert busiest_window(log, "edit/v1", WINDOW) <= 3


def test_picsart_429_waits_for_its_reset_time(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another application spends the key's Picsart budget (the pace is told the published 500 on a
    long window, the sandbox allows 3 per second) while seven pages of trending images are read:
    each 429 waits until the reset time it carries and the call after it is answered, so the run
    succeeds with every row; a wait of the pace's own 30 s window would outlast the 10 s budget,
    and dlt's quick retries would fail the run."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=1, renders_stage=0, trending=700))
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=0.006, rate_window_seconds=WINDOW)
    with sandbox.serve():
        _use(sandbox, world, monkeypatch, pace_env(30, 10, {}))
        result = materialize(warehouse, instance, selection=["picsart/image_trending"])
        log = list(sandbox.limiter.log)

    assert count(warehouse, "picsart_data.image_trending") == 700
    materialized = result.asset_materializations_for_node("picsart")
    assert sum(m.metadata["rate_limited_429s"].value for m in materialized) == refused(log) > 0
    after_429 = [log[n + 1][2] for n, (_, _, allowed) in enumerate(log[:-1]) if not allowed]
    assert all(after_429), "the call after each 429 waited for the reset and was answered"


def test_the_session_takes_proxies_and_the_ca_bundle_from_the_environment_it_started_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """requests walked the environment twice for every request; the session reads it once, for the
    API's host, and a proxy, its exceptions and a company CA bundle still apply."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "sandbox.internal")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/company-ca.pem")
    pace = Pace({"edit/v1": 3})

    def session(base_url: str) -> requests.Session:
        return pace.session("key", base_url, lambda _: "edit/v1", lambda _: None)

    proxied, bypassed = session("https://api.shotstack.io"), session("https://sandbox.internal")
    assert proxied.proxies["https"] == "http://proxy.internal:3128"
    assert "https" not in bypassed.proxies
    assert proxied.verify == bypassed.verify == "/etc/company-ca.pem"
    assert not proxied.trust_env, "read once, not again for every request"
