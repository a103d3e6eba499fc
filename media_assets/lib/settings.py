"""The location's own settings: `[media_assets]` in .dlt/config.toml, or MEDIA_ASSETS__<NAME>.

They live beside the sources' settings so that one file, and one environment-variable scheme,
configures everything. Each is read when asked for, never when a module is imported. Every
default is written here once; a test keeps the committed config.toml equal to them.
"""

from pathlib import Path
from typing import Any

import dagster as dg
import dlt

from ..sources.picsart import settings as picsart
from ..sources.shotstack import settings as shotstack
from . import project

SECTION = project.SECTION
# the warehouse engines: one DuckDB file on this machine, or a PostgreSQL server many machines share
DUCKDB, POSTGRES = "duckdb", "postgres"
ENGINES = (DUCKDB, POSTGRES)
DEFAULTS: dict[str, Any] = {
    # which engine holds the warehouse: the DuckDB file below, or PostgreSQL ([destination.media_assets])
    project.ENGINE_SETTING: DUCKDB,
    # the DuckDB warehouse file that dlt loads and the SQL assets read; relative to the project root
    project.WAREHOUSE_SETTING: project.DEFAULT_WAREHOUSE,
    # where any system drops files of Shotstack render ids, one per line; relative to the project root
    "inbox_dir": f"{project.DATA_DIR}/inbox",
    # "folder" (inbox_dir) or "table": inbox.render_ids in the PostgreSQL warehouse, shared by machines
    "inbox": "folder",
    # "off" starts the sensors and schedules stopped
    "automation": "on",
    # how long a load waits for another process to let go of the DuckDB file
    "lock_wait_seconds": 600.0,
    # the shared rate-limit budget; empty: rate_limits.sqlite beside the warehouse
    "rate_limit_store": "",
    # requests each API resource sends at once (render lookups, hosted files, assets by id); the
    # limiter, not this, keeps them within the published rates
    "request_workers": 32,
    # the length of the APIs' rate-limit windows, in seconds
    "rate_window_seconds": 60.0,
    # how long a run may wait for rate limits; what is left then is deferred to the next run
    "run_seconds": 3000.0,
}
# each API bucket's requests per window: the published numbers; set lower to leave the rest of a
# shared key's budget to another application
RATE_LIMITS: dict[str, tuple[str, str, int]] = {  # setting -> (api, bucket, published limit)
    **{bucket: ("picsart", bucket, limit) for bucket, limit in picsart.RATE_LIMITS.items()},
    **{
        f"shotstack_{bucket.replace('/', '_')}": ("shotstack", bucket, limit)
        for bucket, limit in shotstack.RATE_LIMITS.items()
    },
}


class UsageThresholds(dg.ConfigurableResource):
    """Limits the usage checks judge against: `[media_assets.usage_thresholds]`, these defaults else."""

    # WARN under the first credit floor, ERROR under the second
    credits_warn_below: int = 1000
    credits_error_below: int = 200
    # WARN when the 7-day burn leaves fewer days of credit than this
    runway_warn_days: float = 7.0
    # WARN when the newest balance snapshot is older than this
    snapshot_max_age_hours: float = 2.0
    # WARN when more than this share of the last day's finished renders failed
    max_failure_rate: float = 0.2


def _read(key: str, default: Any) -> Any:
    value = dlt.config.get(f"{SECTION}.{key}", type(default))
    return default if value is None or value == "" else value


def setting(name: str) -> Any:
    """One `[media_assets]` value, or its default when unset."""
    return _read(name, DEFAULTS[name])


def usage_thresholds() -> UsageThresholds:
    """Each limit from [media_assets.usage_thresholds], or its default."""
    defaults = UsageThresholds()
    fields = UsageThresholds.model_fields
    return UsageThresholds(
        **{name: _read(f"usage_thresholds.{name}", getattr(defaults, name)) for name in fields}
    )


def rate_limits(api: str) -> dict[str, int]:
    """`api`'s buckets (`picsart`, `edit/v1`, ...) and their limits, from [media_assets.rate_limits]."""
    limits = {}
    for name, (owner, bucket, default) in RATE_LIMITS.items():
        if owner == api:
            limit = _read(f"rate_limits.{name}", default)
            if limit < 1:
                raise ValueError(
                    f"[media_assets.rate_limits] {name} is {limit}; set it to 1 or more "
                    f"({env_name('rate_limits__' + name)})"
                )
            limits[bucket] = limit
    return limits


def env_name(name: str) -> str:
    """The environment variable that overrides a setting, as dlt spells it."""
    return f"{SECTION}__{name}".upper()


def warehouse_engine() -> str:
    """`duckdb` or `postgres`; anything else fails naming the setting, before any data moves."""
    engine = str(setting(project.ENGINE_SETTING)).strip().lower()
    if engine not in ENGINES:
        raise ValueError(
            f"[{SECTION}] warehouse (or {env_name('warehouse')}) is {engine!r}: "
            f"set it to one of {', '.join(ENGINES)}."
        )
    return engine


def duckdb_path() -> Path:
    """The warehouse file, absolute: never relative to the current directory or a pipeline's state."""
    return project.resolve(setting("duckdb_path"))


def inbox_dir() -> Path:
    return project.resolve(setting("inbox_dir"))


def automation_on() -> bool:
    return str(setting("automation")).lower() != "off"


def lock_wait_seconds() -> float:
    return float(setting("lock_wait_seconds"))


def callback_token() -> str | None:
    """The webhook receiver's shared token: a secret, so .dlt/secrets.toml or the environment."""
    return dlt.secrets.get(f"{SECTION}.callback_token", str) or None
