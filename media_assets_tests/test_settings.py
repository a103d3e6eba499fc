"""The location's own settings: the committed config.toml, the defaults, and environment overrides."""

import tomllib
from pathlib import Path

import dagster as dg
import pytest

from media_assets.defs.resources import build_resources
from media_assets.lib import settings
from media_assets.lib.warehouse import Warehouse

from .helpers import ROOT


def test_config_toml_states_every_default() -> None:
    """`.dlt/config.toml` shows each setting at its default, so reading it tells the whole story."""
    committed = tomllib.loads((ROOT / ".dlt" / "config.toml").read_text())["media_assets"]
    assert committed.pop("usage_thresholds") == settings.UsageThresholds().model_dump()
    published = {name: limit for name, (_, _, limit) in settings.RATE_LIMITS.items()}
    assert committed.pop("rate_limits") == published
    assert committed == settings.DEFAULTS
    assert build_resources()["usage_thresholds"] == settings.UsageThresholds()


def test_environment_overrides_each_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.env_name("duckdb_path"), str(tmp_path / "w.duckdb"))
    monkeypatch.setenv(settings.env_name("inbox_dir"), str(tmp_path / "in"))
    monkeypatch.setenv(settings.env_name("automation"), "OFF")
    monkeypatch.setenv(settings.env_name("lock_wait_seconds"), "2.5")
    monkeypatch.setenv(settings.env_name("callback_token"), "t0ken")
    assert build_resources()["warehouse"].database == str(tmp_path / "w.duckdb")
    assert settings.inbox_dir() == tmp_path / "in"
    assert not settings.automation_on()
    assert settings.lock_wait_seconds() == 2.5
    assert settings.callback_token() == "t0ken"


def test_a_rate_limit_can_be_lowered_and_a_bad_one_names_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user sharing the key gives the pipeline a smaller share; zero is refused, naming the variable."""
    monkeypatch.setenv("MEDIA_ASSETS__RATE_LIMITS__SHOTSTACK_EDIT_V1", "200")
    assert settings.rate_limits("shotstack")["edit/v1"] == 200
    assert settings.rate_limits("shotstack")["serve/v1"] == 600
    assert settings.rate_limits("picsart") == {"picsart": 500}
    monkeypatch.setenv("MEDIA_ASSETS__RATE_LIMITS__PICSART", "0")
    with pytest.raises(ValueError, match="MEDIA_ASSETS__RATE_LIMITS__PICSART"):
        settings.rate_limits("picsart")


def test_environment_overrides_a_usage_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIA_ASSETS__USAGE_THRESHOLDS__CREDITS_WARN_BELOW", "5000")
    thresholds = build_resources()["usage_thresholds"]
    assert thresholds.credits_warn_below == 5000
    assert thresholds.credits_error_below == settings.UsageThresholds().credits_error_below


def test_unset_token_means_no_token() -> None:
    assert settings.callback_token() is None


def test_an_unknown_engine_fails_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """`[media_assets] warehouse` is duckdb or postgres; anything else names the setting and both values."""
    monkeypatch.setenv(settings.env_name("warehouse"), "sqlite")
    with pytest.raises(
        ValueError, match=r"\[media_assets\] warehouse \(or MEDIA_ASSETS__WAREHOUSE\).*duckdb, postgres"
    ):
        settings.warehouse_engine()


def test_postgres_without_credentials_fails_naming_where_they_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL with no credentials set, opening the warehouse says where to put them."""
    monkeypatch.setenv("MEDIA_ASSETS__WAREHOUSE", "postgres")
    with (
        pytest.raises(
            dg.Failure,
            match=r"\[destination.media_assets\] credentials.*DESTINATION__MEDIA_ASSETS__CREDENTIALS",
        ),
        Warehouse(engine="postgres").get_connection(),
    ):
        pass
