"""A field that arrives in another type lands in dlt's variant column: the checks and summaries say so."""

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import pytest

from media_assets.defs.resources import build_resources
from media_assets.sandbox import Fault, Render, Sandbox

from .helpers import location
from .helpers.materialize import materialize, rows
from .helpers.usage_world import (
    EVERYTHING,
    LIMITS,
    RENDER_LOADS,
    check,
    healthy_renders,
    point_at,
    real_now,
    world,
)


@dataclass
class Retyped:
    warehouse: str
    instance: dg.DagsterInstance
    renders: list[Render]


@pytest.fixture
def retyped(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Retyped]:
    """Five renders loaded, the first one's numbers sent as text ("30s"), the others as numbers."""
    now = real_now()
    renders = healthy_renders(now)
    sb = Sandbox(world(now, renders=renders), clock_speed=0.0)
    with sb.serve():
        point_at(sb, monkeypatch)
        sb.set_fault("shotstack.render_get", Fault(kind="text_numbers", count=1))
        loaded = run(warehouse, instance, RENDER_LOADS)
    assert {e.asset_key.to_user_string() for e in loaded.get_asset_materialization_events()} == set(
        RENDER_LOADS
    )
    yield Retyped(warehouse, instance, renders)


def run(warehouse: str, instance: dg.DagsterInstance, selection: list[str] | dg.AssetSelection):
    resources = {**build_resources(warehouse), "usage_thresholds": LIMITS}
    return dg.materialize(
        EVERYTHING, resources=resources, instance=instance, selection=selection, raise_on_error=False
    )


def test_text_duration_lands_in_a_variant_column_and_leaves_duration_null(retyped: Retyped) -> None:
    """What dlt does with "30s" for a double column: the text in duration__v_text, duration NULL."""
    first, *others = retyped.renders
    expected = [(first.id, None, f"{first.duration}s", None, f"{first.render_time_ms}s")]
    expected += [(r.id, r.duration, None, r.render_time_ms, None) for r in others]
    loaded = rows(
        retyped.warehouse,
        "select id, duration, duration__v_text, render_time, render_time__v_text "
        "from shotstack_data.renders order by id",
    )
    assert loaded == sorted(expected)


def test_render_summaries_refuse_to_undercount_and_name_the_variant_columns(retyped: Retyped) -> None:
    """The summaries fail, naming each variant column and how many rows it holds, rather than drop them."""
    for summary in ("usage/render_usage_daily", "usage/render_usage_summary"):
        result = run(retyped.warehouse, retyped.instance, [summary])
        assert not result.success, f"{summary} was built from a NULL duration"
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.step_failure_data.error.message
        assert "shotstack_data.renders.duration__v_text (1 row" in message
        assert "shotstack_data.renders.render_time__v_text (1 row" in message
        assert f"{retyped.renders[0].duration}s" in message


def test_typed_as_declared_checks_fail_as_errors_on_the_renders_only(retyped: Retyped) -> None:
    """The renders' check fails as an ERROR naming the variants; the hosted files' check passes."""
    checks = dg.AssetSelection.checks(
        location.check("renders_typed_as_declared"), location.check("assets_by_render_typed_as_declared")
    )
    result = run(retyped.warehouse, retyped.instance, checks)
    renders = check(result, "renders_typed_as_declared")
    assert (renders.passed, renders.severity) == (False, dg.AssetCheckSeverity.ERROR)
    variants = renders.metadata["variant_columns"].value
    assert [(v["column"], v["variant"], v["rows"]) for v in variants] == [
        ("duration", "duration__v_text", 1),
        ("render_time", "render_time__v_text", 1),
    ]
    assert check(result, "assets_by_render_typed_as_declared").passed


def test_text_credits_fail_the_balance_alone_and_the_next_run_loads_it(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """credits is NOT NULL, so a text value fails the balance's load: named, the rest kept, not stuck."""
    picsart = fresh_sandbox.world.picsart
    fresh_sandbox.set_fault("picsart.balance", Fault(kind="text_numbers", count=1))
    result = materialize(warehouse, instance, dg.AssetSelection.groups("picsart"), raise_on_error=False)
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {key.to_user_string() for a in location.assets("picsart") for key in a.keys} - {
        "picsart/balance"
    }
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "picsart_data.balance.credits" in failure and "credits__v_text" in failure
    assert [n for (n,) in rows(warehouse, "select name from picsart_data.effects order by name")] == sorted(
        picsart.effects
    )
    assert rows(warehouse, "select count(*) from picsart_data.balance") == [(0,)]

    credits = picsart.balance_series[min(fresh_sandbox.balance_calls, len(picsart.balance_series) - 1)]
    assert materialize(warehouse, instance, ["picsart/balance"]).success
    assert rows(warehouse, "select credits from picsart_data.balance") == [(credits,)]
