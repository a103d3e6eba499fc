"""Test helper: one real evaluation of a sensor, with the run requests, the cursor and what it logged."""

import logging
from dataclasses import dataclass

import dagster as dg

from .location import sensor


class Recorded(logging.Handler):
    """Keeps what a sensor logs: its logger is dagster's own, outside the tree pytest's caplog sees."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Tick:
    run_requests: list[dg.RunRequest]
    cursor: str | None
    warnings: list[str]

    @property
    def render_ids(self) -> list[list[str]]:
        """The render ids of each run request, in order."""
        return [r.run_config["ops"]["shotstack"]["config"]["render_ids"] for r in self.run_requests]


def tick(name: str, instance: dg.DagsterInstance, cursor: str | None = None) -> Tick:
    """Evaluate sensor `name` once from `cursor`, as the daemon would."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    recorded = Recorded()
    context.log.addHandler(recorded)
    result = sensor(name).evaluate_tick(context)
    warnings = [r.getMessage() for r in recorded.records if r.levelno >= logging.WARNING]
    return Tick(list(result.run_requests or []), result.cursor, warnings)
