"""The location's own settings: `[media_assets]` in .dlt/config.toml, or MEDIA_ASSETS__<NAME>.

They live beside the sources' settings so that one file, and one environment-variable scheme,
configures everything. Each is read when asked for, not when this module is imported.
"""

from pathlib import Path
from typing import Any

import dlt

SECTION = "media_assets"
DEFAULTS: dict[str, Any] = {
    # the warehouse file that dlt loads and the SQL assets read
    "duckdb_path": "data/media_assets.duckdb",
    # where any system drops files of Shotstack render ids, one per line
    "inbox_dir": "data/inbox",
    # "off" starts the sensors and schedules stopped
    "automation": "on",
    # how long a load waits for another process to let go of the DuckDB file
    "lock_wait_seconds": 600.0,
}


# limits the usage checks judge against: [media_assets.usage_thresholds]
THRESHOLDS: dict[str, Any] = {
    "credits_warn_below": 1000,
    "credits_error_below": 200,
    "runway_warn_days": 7.0,
    "snapshot_max_age_hours": 2.0,
    "max_failure_rate": 0.2,
}


def _read(key: str, default: Any) -> Any:
    value = dlt.config.get(f"{SECTION}.{key}", type(default))
    return default if value is None or value == "" else value


def setting(name: str) -> Any:
    """One `[media_assets]` value, or its default when unset."""
    return _read(name, DEFAULTS[name])


def usage_thresholds() -> dict[str, Any]:
    """Each limit from [media_assets.usage_thresholds], or its default."""
    return {name: _read(f"usage_thresholds.{name}", default) for name, default in THRESHOLDS.items()}


def env_name(name: str) -> str:
    """The environment variable that overrides a setting, as dlt spells it."""
    return f"{SECTION}__{name}".upper()


def duckdb_path() -> str:
    return str(setting("duckdb_path"))


def inbox_dir() -> Path:
    return Path(setting("inbox_dir"))


def automation_on() -> bool:
    return str(setting("automation")).lower() != "off"


def lock_wait_seconds() -> float:
    return float(setting("lock_wait_seconds"))


def callback_token() -> str | None:
    """The webhook receiver's shared token: a secret, so .dlt/secrets.toml or the environment."""
    return dlt.secrets.get(f"{SECTION}.callback_token", str) or None
