"""The usage tests' scripted world and the figures it must produce, computed in plain Python (no SQL)."""

from datetime import UTC, date, datetime, timedelta

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
# (hours after T0 the balance is read, credits it answers): day 2 and day 6 have no reading,
# day 3 spends then tops up 3000, day 8 pushes day 1 out of the 7-day window
BALANCE_PLAN = [(0, 5000), (8, 4700), (24, 4400), (72, 3900), (80, 6900), (96, 6500), (120, 6100)]
BALANCE_PLAN += [(168, 5600), (192, 5300)]
LOADED_AT = T0 + timedelta(hours=192)
# (version, created, output seconds, render seconds, final status, hosted files)
RENDER_PLAN = [
    ("v1", T0 + timedelta(hours=1), 30, 12, "done", 2),
    ("v1", T0 + timedelta(hours=2), 60, 20, "done", 1),
    ("v1", T0 + timedelta(hours=3), 45, 8, "failed", 0),
    # created late on day 1, finished (and its file hosted) on day 2
    ("v1", T0 + timedelta(hours=38, minutes=50), 90, 1200, "done", 1),
    # still rendering when Shotstack is read
    ("v1", LOADED_AT - timedelta(minutes=10), 15, 10800, "done", 1),
    ("stage", T0 + timedelta(hours=6), 120, 30, "done", 1),
    ("stage", T0 + timedelta(hours=24, minutes=30), 12, 4, "failed", 0),
    ("stage", T0 + timedelta(hours=25), 24, 6, "done", 1),
]


def credit_days() -> list[tuple]:
    """credit_balance_daily from the plan: changes booked on the later reading's day, gaps filled."""
    readings = [((T0 + timedelta(hours=h)).date(), c) for h, c in BALANCE_PLAN]
    expected, spends, previous = [], [], None
    day = readings[0][0]
    while day <= readings[-1][0]:
        todays = [c for d, c in readings if d == day]
        opening = previous if previous is not None else todays[0]
        spent = topped = 0
        for credits in todays:
            if previous is not None:
                spent += max(previous - credits, 0)
                topped += max(credits - previous, 0)
            previous = credits
        spends.append(spent)
        burn = sum(spends[-7:]) / len(spends[-7:])
        expected.append(
            (day, len(todays), opening, previous, spent, topped, burn, previous / burn if burn else None)
        )
        day += timedelta(days=1)
    return expected


def p95(values: list[float]) -> float | None:
    """The 95th percentile: a weighted mean of the two nearest ranks (linear interpolation)."""
    if not values:
        return None
    ordered, position = sorted(values), (len(values) - 1) * 0.95
    low = int(position)
    high, weight = min(low + 1, len(ordered) - 1), position - low
    return ordered[low] * (1 - weight) + ordered[high] * weight


def status_when_loaded(plan: tuple) -> str:
    """A render's status when Shotstack was read: its final one if it had finished by then."""
    _, created, _, render_s, final, _ = plan
    return final if created + timedelta(seconds=render_s) <= LOADED_AT else "rendering"


def render_figures(plan: list[tuple], files: list[tuple]) -> tuple:
    """Counts, minutes, timings, failure rate and hosted files of a set of planned renders."""
    done = [p for p in plan if status_when_loaded(p) == "done"]
    failed = [p for p in plan if status_when_loaded(p) == "failed"]
    seconds = [p[3] for p in done]
    finished = len(done) + len(failed)
    return (
        len(plan),
        len(done),
        len(failed),
        len(plan) - finished,
        sum(p[2] for p in done) / 60,
        sum(seconds) / len(seconds) if seconds else None,
        p95(seconds),
        sum(seconds) / sum(p[2] for p in done) if done else None,
        len(failed) / finished if finished else None,
        len(files),
    )


def hosted_files() -> list[tuple[str, date]]:
    """(version, day created) of each hosted file: created when its render finished."""
    return [
        (p[0], (p[1] + timedelta(seconds=p[3])).date())
        for p in RENDER_PLAN
        for _ in range(p[5])
        if status_when_loaded(p) == "done"
    ]


def render_days() -> list[tuple]:
    keys = {(p[1].date(), p[0]) for p in RENDER_PLAN} | {(d, v) for v, d in hosted_files()}
    expected = []
    for day, version in sorted(keys):
        plan = [p for p in RENDER_PLAN if (p[1].date(), p[0]) == (day, version)]
        expected.append(
            (day, version, *render_figures(plan, [f for f in hosted_files() if f == (version, day)]))
        )
    return expected


def render_summary() -> list[tuple]:
    expected = []
    for version in ("all", "stage", "v1"):
        plan = [p for p in RENDER_PLAN if version in ("all", p[0])]
        days = [p[1].date() for p in plan]
        files = [f for f in hosted_files() if version in ("all", f[0])]
        expected.append((version, min(days), max(days), *render_figures(plan, files)))
    return expected
