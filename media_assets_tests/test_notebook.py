"""notebooks/usage.py, run headless on the history demo's warehouse: its figures are the world's."""

import itertools
import json
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from .helpers import ROOT
from .helpers.history import DAYS, HistoryDemo

NOTEBOOK = ROOT / "notebooks" / "usage.py"
# runs the notebook as marimo runs a script, then prints the figures its cells defined
RUNNER = """
import importlib.util, json, sys
sys.argv = [sys.argv[1], "--save", sys.argv[2]]
spec = importlib.util.spec_from_file_location("usage_notebook", sys.argv[0])
notebook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebook)
_, defs = notebook.app.run()
print(json.dumps({
    "burn_7d": defs["burn_7d"],
    "runs_out_on": str(defs["runs_out_on"]),
    "top_ups": {str(row.day.date()): int(row.credits_topped_up) for row in defs["top_ups"].itertuples()},
    "minutes": {f"{d:%Y-%m-%d}/{v}": m for (d, v), m in defs["minutes"].stack().items() if m},
    "failure_rate": {f"{d:%Y-%m-%d}": r for d, r in defs["failure_rate"].items()},
    "speed_points": len(defs["speed"]),
}))
"""


@pytest.fixture(scope="module")
def shown(history_demo: HistoryDemo, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    picture = tmp_path_factory.mktemp("notebook") / "usage.png"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(NOTEBOOK), str(picture)],
        cwd=history_demo.folder,
        env=history_demo.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), picture


def readings(demo: HistoryDemo) -> list[tuple[datetime, int]]:
    """The balance the demo read each hour, from the world's timeline."""
    start = demo.world.now
    hours = [start + timedelta(hours=h) for h in range(1, 24 * DAYS + 1)]
    return [(t, demo.world.picsart.credits_at(t)) for t in hours]


def test_burn_and_run_out_date_are_the_worlds(shown: tuple[dict, Path], history_demo: HistoryDemo) -> None:
    """The 7-day burn is the mean daily spend between hourly readings; top-ups are the world's one."""
    figures, _ = shown
    seen = readings(history_demo)
    spent: dict[date, int] = defaultdict(int)
    topped: dict[date, int] = defaultdict(int)
    for (_, before), (moment, after) in itertools.pairwise(seen):
        spent[moment.date()] += max(before - after, 0)
        topped[moment.date()] += max(after - before, 0)
    days = sorted({moment.date() for moment, _ in seen})
    burn = sum(spent[d] for d in days[-7:]) / len(days[-7:])
    assert figures["burn_7d"] == pytest.approx(burn)
    runs_out = days[-1] + timedelta(days=int(seen[-1][1] / burn))
    assert figures["runs_out_on"] == str(runs_out)
    assert figures["top_ups"] == {str(d): c for d, c in topped.items() if c}
    assert len(figures["top_ups"]) == 1


def test_render_figures_are_the_worlds(shown: tuple[dict, Path], history_demo: HistoryDemo) -> None:
    """Minutes per day and version, the daily failure rate and one point per done render."""
    figures, _ = shown
    end = history_demo.world.now + timedelta(days=DAYS)
    minutes: dict[str, float] = defaultdict(float)
    outcomes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for render in history_demo.world.renders:
        status, day = render.status_at(end), f"{render.created:%Y-%m-%d}"
        if status == "done":
            minutes[f"{day}/{render.version}"] += render.duration / 60
        if status in ("done", "failed"):
            outcomes[day][status == "failed"] += 1
    assert figures["minutes"] == pytest.approx(dict(minutes))
    assert figures["failure_rate"] == pytest.approx({d: f / (n + f) for d, (n, f) in outcomes.items()})
    assert figures["speed_points"] == sum(r.status_at(end) == "done" for r in history_demo.world.renders)


def test_the_script_saves_its_figure(shown: tuple[dict, Path]) -> None:
    """`--save` writes the picture the README shows."""
    _, picture = shown
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
