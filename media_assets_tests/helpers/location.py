"""The code location as Dagster loads it, once per test session, and its parts by name."""

from functools import cache

import dagster as dg

from media_assets.definitions import defs


@cache
def location() -> dg.Definitions:
    """The definitions under `defs/`, loaded as `dagster dev` loads them."""
    return defs()


def assets(group_prefix: str | None = None) -> list[dg.AssetsDefinition]:
    """Every assets definition, or those whose keys start with `group_prefix` (an API, or usage)."""
    found = [a for a in location().assets or [] if isinstance(a, dg.AssetsDefinition)]
    if group_prefix is None:
        return found
    return [a for a in found if all(key.path[0] == group_prefix for key in a.keys)]


def dlt_assets() -> list[dg.AssetsDefinition]:
    return assets("picsart") + assets("shotstack")


def checks() -> list[dg.AssetChecksDefinition]:
    return list(location().asset_checks or [])


def check(name: str) -> dg.AssetChecksDefinition:
    return next(c for c in checks() if any(k.name == name for k in c.check_keys))


def sensor(name: str) -> dg.SensorDefinition:
    return location().get_sensor_def(name)


def schedules() -> list[dg.ScheduleDefinition]:
    return list(location().schedules or [])
