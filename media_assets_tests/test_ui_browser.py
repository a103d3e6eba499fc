"""The Dagster UI in Debian's chromium, driven by Playwright: lineage, "Materialize all", the plots.

`browser/ui_check.mjs` does what a user does and prints what it saw; this test serves `dagster dev`
on the history demo's warehouse and Dagster home, with a sandbox serving that history's world.
"""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Sandbox

from .helpers import ROOT
from .helpers.history import DAYS, HistoryDemo
from .helpers.webserver import bin_path, serve_ui

BROWSER = ROOT / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
INSTALL = "apt-get install chromium, and `npm install --no-package-lock` in browser/ (as .ci/run does)"


def require_browser() -> None:
    """Chromium, node and playwright-core are installed by .ci/run: missing in CI is a failure."""
    missing = [
        what
        for what, present in (
            (str(CHROMIUM), CHROMIUM.exists()),
            ("node", shutil.which("node") is not None),
            ("browser/node_modules/playwright-core", (BROWSER / "node_modules" / "playwright-core").is_dir()),
        )
        if not present
    ]
    if missing:
        message = f"the browser test needs {', '.join(missing)}: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_ui_shows_lineage_materializes_all_and_plots_the_runway(
    history_demo: HistoryDemo, tmp_path: Path
) -> None:
    """The lineage draws renders → assets_by_render; "Materialize all" ends in Success; the runway's
    plots on usage/credit_balance_daily have a point per history day plus the new run."""
    require_browser()
    world = history_demo.world
    sandbox = Sandbox(world, clock_speed=0.0)
    sandbox.clock.advance(timedelta(days=DAYS).total_seconds())  # the history's end, as the demo left it
    with sandbox.serve():
        env = {
            **history_demo.env,
            **sandbox_env(sandbox, world),
            "DLT_DATA_DIR": str(history_demo.folder / "data" / "dlt"),
            # no schedule or sensor runs beside the one the test launches
            "MEDIA_ASSETS__AUTOMATION": "off",
        }
        with serve_ui([bin_path("dagster"), "dev"], env, tmp_path / "dagster-dev.log") as graphql:
            done = subprocess.run(
                ["node", str(BROWSER / "ui_check.mjs"), graphql.url, str(tmp_path)],
                cwd=BROWSER,
                capture_output=True,
                text=True,
                timeout=660,
            )
    log = (tmp_path / "dagster-dev.log").read_text()[-3000:]
    assert done.returncode == 0, done.stdout + done.stderr + log
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert ["shotstack/renders", "shotstack/assets_by_render"] in seen["edges"]
    assert seen["run"] == "Success", log
    assert seen["points"]["credits_remaining"] == DAYS + 1
    assert seen["points"]["days_of_credit_left"] == DAYS + 1
    for shot in ("ui-lineage.png", "ui-run.png", "ui-plots.png"):
        assert (tmp_path / shot).read_bytes()[:4] == b"\x89PNG"
