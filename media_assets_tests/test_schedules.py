"""Schedules: UTC crons over the right jobs, and a clear skip instead of doomed runs when a key is unset."""

import dagster as dg
import pytest

from .helpers.location import schedules

BY_NAME = {s.name: s for s in schedules()}
SOURCES = {
    "refresh_renders_schedule": ["shotstack_source"],
    "refresh_balance_schedule": ["picsart_source"],
    "refresh_catalogue_schedule": ["picsart_source", "shotstack_source"],
}


def test_schedules_run_in_utc_on_their_crons() -> None:
    assert {n: (s.cron_schedule, s.execution_timezone) for n, s in BY_NAME.items()} == {
        "refresh_renders_schedule": ("*/10 * * * *", "UTC"),
        "refresh_balance_schedule": ("0 * * * *", "UTC"),
        "refresh_catalogue_schedule": ("0 6 * * *", "UTC"),
    }


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_schedule_skips_naming_the_missing_key(name: str) -> None:
    with dg.instance_for_test() as instance:
        tick = BY_NAME[name].evaluate_tick(dg.build_schedule_context(instance=instance))
    assert tick.run_requests == []
    assert f"SOURCES__{SOURCES[name][0].upper()}__API_KEY" in tick.skip_message
    assert all(source in tick.skip_message for source in SOURCES[name])


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_schedule_requests_a_run_once_keys_are_set(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for source in SOURCES[name]:
        monkeypatch.setenv(f"SOURCES__{source.upper()}__API_KEY", "k3y-value")
    with dg.instance_for_test() as instance:
        tick = BY_NAME[name].evaluate_tick(dg.build_schedule_context(instance=instance))
    assert len(tick.run_requests) == 1 and tick.skip_message is None
