"""One faulty endpoint fails its own asset only: what the other resources fetched is loaded and kept."""

from collections.abc import Iterator
from datetime import datetime

import dagster as dg
import pytest

from media_assets.local.sandbox_env import demo_query, hosted_asset_ids, sandbox_env
from media_assets.sandbox import Fault, Sandbox, World, WorldSize

from .helpers.faults import failure_text, materialized
from .helpers.location import assets
from .helpers.materialize import materialize, rows, table_exists


@pytest.fixture
def still(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox of its own with its clock stopped, so every status and balance is known in advance."""
    world = World.generate(seed=5, size=WorldSize(renders_v1=6, renders_stage=0, pending_share=0.3))
    sandbox = Sandbox(world, clock_speed=0.0)
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        yield sandbox


def keys(group: str) -> set[str]:
    return {key.to_user_string() for a in assets(group) for key in a.keys}


def ids(warehouse: str, table: str) -> list[str]:
    return [i for (i,) in rows(warehouse, f"select id from {table} order by id")]


def shotstack_rows(sandbox: Sandbox) -> dict[str, list]:
    """What each Shotstack table must hold after one load at the stopped clock, from the world alone."""
    world, now = sandbox.world, sandbox.clock.now()
    renders = [r for r in world.renders if r.version == "v1"]
    done = [r.id for r in renders if r.status_at(now) == "done"]
    return {
        "renders": sorted((r.id, r.status_at(now)) for r in renders),
        "assets_by_render": sorted(a.id for i in done for a in world.assets_for(i)),
        "templates": sorted(t.id for t in world.templates["v1"]),
        "ingest_sources": sorted(s.id for s in world.sources["v1"]),
        "assets": sorted(hosted_asset_ids(sandbox, "v1")[:3]),
    }


def loaded_shotstack_rows(warehouse: str, table: str) -> list:
    if table == "renders":
        return rows(warehouse, "select id, status from shotstack_data.renders order by id")
    return ids(warehouse, f"shotstack_data.{table}")


# a 429 that outlasts dlt's retries on each independent Shotstack list or lookup
SHOTSTACK_FAULTS = [
    ("templates", "shotstack.templates", "edit/v1/templates"),
    ("ingest_sources", "shotstack.sources", "ingest/v1/sources"),
    ("assets", "shotstack.asset_get", "serve/v1/assets/"),
]


@pytest.mark.parametrize(
    ("resource", "endpoint", "path"), SHOTSTACK_FAULTS, ids=[r for r, _, _ in SHOTSTACK_FAULTS]
)
def test_shotstack_429_fails_its_asset_only_and_keeps_the_renders(
    resource: str, endpoint: str, path: str, still: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Renders, their files and the other lists load; the limited one fails, named; the next run completes."""
    expected = shotstack_rows(still)
    still.set_fault(endpoint, Fault(kind=429))
    result = materialize(
        warehouse, instance, selection=dg.AssetSelection.groups("shotstack"), raise_on_error=False
    )

    assert not result.success
    assert materialized(result) == keys("shotstack") - {f"shotstack/{resource}"}
    text = failure_text(result)
    assert f"shotstack/{resource}" in text and "HTTP 429" in text and path in text
    for table, wanted in expected.items():
        if table != resource:
            assert loaded_shotstack_rows(warehouse, table) == wanted, table
    assert not table_exists(warehouse, "shotstack_data", resource)

    still.clear_faults()
    assert materialize(warehouse, instance, selection=dg.AssetSelection.groups("shotstack")).success
    assert loaded_shotstack_rows(warehouse, resource) == expected[resource]


def test_malformed_trending_body_keeps_the_balance_snapshot(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A cut-off `image_trending` body fails that asset alone; the snapshot and catalogue are loaded."""
    world = still.world
    picsart = world.picsart
    still.set_fault("picsart.image_trending", Fault(kind="malformed"))
    result = materialize(
        warehouse, instance, selection=dg.AssetSelection.groups("picsart"), raise_on_error=False
    )

    assert not result.success
    assert materialized(result) == keys("picsart") - {"picsart/image_trending"}
    text = failure_text(result)
    assert "picsart/image_trending" in text and "image-tools/trending" in text
    taken = rows(warehouse, "select taken_at, credits from picsart_data.balance")
    assert [(datetime.fromisoformat(str(t)), c) for t, c in taken] == [(world.now, picsart.balance_series[0])]
    assert [n for (n,) in rows(warehouse, "select name from picsart_data.effects order by name")] == sorted(
        picsart.effects
    )
    assert ids(warehouse, "picsart_data.image_search") == sorted(
        i["id"] for i in picsart.search(demo_query(world))
    )
    assert ids(warehouse, "picsart_data.genai_models") == sorted(m["id"] for m in picsart.models)
    assert not table_exists(warehouse, "picsart_data", "image_trending")

    still.clear_faults()
    assert materialize(warehouse, instance, selection=dg.AssetSelection.groups("picsart")).success
    assert ids(warehouse, "picsart_data.image_trending") == sorted(i["id"] for i in picsart.trending)
    assert len(rows(warehouse, "select * from picsart_data.balance")) == 2


def overlapped(spans: list[tuple[str, float, float]], one: str, other: str) -> bool:
    """Whether a request to `one` was in the sandbox while a request to `other` was."""
    return any(
        a_in < b_out and b_in < a_out
        for name_a, a_in, a_out in spans
        if name_a == one
        for name_b, b_in, b_out in spans
        if name_b == other
    )


def test_a_steps_resources_load_in_one_dlt_run_with_the_lists_side_by_side(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Every Shotstack asset of a step comes from one dlt run, and the list endpoints are asked at
    once: each answers after half a second, and their requests overlap in the sandbox, each other's
    and the render lookups'. The files of the renders found done follow in the same run."""
    for endpoint in ("shotstack.templates", "shotstack.sources"):
        still.set_latency(0.5, endpoint)
    result = materialize(warehouse, instance, selection=dg.AssetSelection.groups("shotstack"))

    events = result.asset_materializations_for_node("shotstack")
    assert {e.asset_key.to_user_string() for e in events} == keys("shotstack")
    assert len({e.metadata["started_at"].value for e in events}) == 1, "one dlt run for the step"
    assert overlapped(still.spans, "shotstack.templates", "shotstack.sources")
    assert overlapped(still.spans, "shotstack.templates", "shotstack.render_get")
    for table, wanted in shotstack_rows(still).items():
        assert loaded_shotstack_rows(warehouse, table) == wanted, table
    # each asset records its own requests, though they went side by side in one run
    now = still.clock.now()
    done = [r for r in still.world.renders if r.version == "v1" and r.status_at(now) == "done"]
    requests = {e.asset_key.path[-1]: e.metadata["requests"].value for e in events}
    assert requests == {
        "renders": 6,
        "assets_by_render": len(done),
        "templates": 1,
        "ingest_sources": 1,
        "assets": 3,
    }
