"""The issue's faults, one at a time: what a run does while each lasts, then that a plain run
loads exactly the world, with no primary key twice.

Refused keys and credits (401, 402, 403) are in test_errors.py; killed runs in test_killed_load.py.
"""

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest
import requests

from media_assets.sandbox import Fault, Sandbox, World
from media_assets.sandbox.app import ENDPOINT_NAMES

from .helpers.faults import (
    SMALL,
    balance_rows,
    duplicate_keys,
    every_asset,
    expected_rows,
    failure_text,
    loaded_balance,
    loaded_rows,
    materialized,
    point_at,
    still_sandbox,
    stored_source_state,
    table_of,
)
from .helpers.materialize import materialize, rows
from .helpers.proxy import Cuts, cutting_proxy


@pytest.fixture
def still(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A small world of its own, clock stopped, both sources pointed at it, an empty inbox."""
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(tmp_path / "inbox"))
    with still_sandbox() as sandbox:
        point_at(sandbox, monkeypatch)
        yield sandbox


@pytest.fixture
def busier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """As `still`, with more renders and so more calls, enough for a 5% storm to hit some."""
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(tmp_path / "inbox"))
    with still_sandbox(World.generate(seed=11, size=replace(SMALL, renders_v1=16))) as sandbox:
        point_at(sandbox, monkeypatch)
        yield sandbox


SHOTSTACK_ASSETS = sorted(asset for asset in every_asset() if asset.startswith("shotstack/"))


def tables(selection: Sequence[str] | None) -> set[str]:
    """The tables a run of `selection` (every asset when None) loads, the renders' 404 table included."""
    found = {table_of(asset) for asset in (selection or every_asset())}
    return found | ({"shotstack_data.renders_not_found"} if "shotstack_data.renders" in found else set())


def renders_metadata(result: dg.ExecuteInProcessResult) -> dict:
    """The metadata of the run's `shotstack/renders` materialization."""
    event = next(e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == "renders")
    return event.materialization.metadata


def assert_only_world_rows(
    sandbox: Sandbox, warehouse: str, loaded_assets: set[str], answered: list[bool] | None = None
) -> None:
    """Mid-fault: every table holds rows of the world only, each asset that materialized holds all of
    its rows (the renders and their files but those the rate limit deferred), the balance a snapshot
    per balance answer that arrived (`answered`, when some were lost), no key is there twice."""
    expected, loaded = expected_rows(sandbox), loaded_rows(warehouse)
    for table, found in loaded.items():
        assert set(found) <= set(expected[table]), table
    for asset in loaded_assets - {"shotstack/renders", "shotstack/assets_by_render", "picsart/balance"}:
        assert loaded[table_of(asset)] == expected[table_of(asset)], asset
    assert loaded_balance(warehouse) == balance_rows(sandbox, answered)
    assert duplicate_keys(warehouse) == {}


def assert_plain_run_loads_the_world(
    sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance, selection: Sequence[str] | None = None
) -> dg.ExecuteInProcessResult:
    """With every fault cleared, a run of `selection` (every asset by default) succeeds, and its tables
    hold exactly the world's rows, no key twice, no render left deferred."""
    sandbox.clear_faults()
    sandbox.clear_latency()
    result = materialize(warehouse, instance, selection)
    assert result.success
    expected, loaded = expected_rows(sandbox), loaded_rows(warehouse)
    for table in tables(selection) & set(expected):
        assert loaded[table] == expected[table], table
    if selection is None or "picsart/balance" in selection:
        assert loaded_balance(warehouse) == balance_rows(sandbox)
    assert duplicate_keys(warehouse) == {}
    if "shotstack_data.renders" in tables(selection):
        tracked = stored_source_state(warehouse)["renders_by_version"]["v1"]
        assert sorted(tracked.items()) == [
            (i, status) for i, status, *_ in expected["shotstack_data.renders"]
        ]
    return result


# light then heavy storms: every endpoint answers this status to this share of its calls, without
# Retry-After
STORMS = [(500, 0.05), (429, 0.3), (500, 0.3), (429, 0.6)]
SERVER_ERRORS = (500, 502, 503)


def arm_storm(sandbox: Sandbox, status: int, share: float) -> None:
    """`status` on every endpoint; a 5xx storm spreads 500, 502 and 503 over the endpoints."""
    for n, endpoint in enumerate(ENDPOINT_NAMES):
        kind = SERVER_ERRORS[n % len(SERVER_ERRORS)] if status in SERVER_ERRORS else status
        sandbox.set_fault(endpoint, Fault(kind=kind, share=share))


def test_storm_answers_carry_no_retry_after(still: Sandbox) -> None:
    """The storms run without Retry-After: Shotstack's 429 has none, Picsart's has only its
    X-Picsart-Ratelimit-* headers (nothing left, a reset time), so dlt's own backoff paces retries."""
    arm_storm(still, 429, 1.0)
    picsart = requests.get(
        f"{still.picsart_base_url}/tools/1.0/effects",
        headers={"X-Picsart-API-Key": still.picsart_key, "Accept": "application/json"},
        timeout=5,
    )
    shotstack = requests.get(
        f"{still.shotstack_base_url}/edit/v1/templates", headers={"x-api-key": still.shotstack_key}, timeout=5
    )
    assert (picsart.status_code, shotstack.status_code) == (429, 429)
    assert "Retry-After" not in picsart.headers and "Retry-After" not in shotstack.headers
    assert picsart.headers["X-Picsart-Ratelimit-Available"] == "0"
    assert int(picsart.headers["X-Picsart-Ratelimit-Reset-Time"]) >= still.clock.now().timestamp()


def test_storms_on_every_endpoint_keep_what_loaded_and_a_plain_run_completes(
    busier: Sandbox, warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """429 storms of 30% and 60% and 5xx storms of 5% and 30%, one run each: dlt retries; what
    outlasts its retries fails its own asset, named with the status; renders the rate limit stopped
    are deferred; every table holds only rows of the world, no key twice. A plain run after the last
    storm loads exactly the world.

    One plain run after all four, not one after each, keeps this to five runs; it also starts from
    whatever four storms in a row left behind."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")  # dozens of retries per storm
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "0.1")
    ids = {i for i, *_ in expected_rows(busier)["shotstack_data.renders"]}
    for status, share in STORMS:
        arm_storm(busier, status, share)
        result = materialize(warehouse, instance, raise_on_error=False)

        assert sum(busier.faults.injected().values()) > 0
        failed = every_asset() - materialized(result)
        if failed:
            text = failure_text(result)
            assert all(asset in text for asset in failed), text
            assert "after dlt's retries" in text
        assert_only_world_rows(busier, warehouse, materialized(result))
        if "shotstack/renders" in materialized(result):
            looked_up = {i for i, *_ in loaded_rows(warehouse)["shotstack_data.renders"]}
            assert set(renders_metadata(result)["renders_deferred"].value) == ids - looked_up

    assert_plain_run_loads_the_world(busier, warehouse, instance)


# a body that is not JSON on a hand-written and a rest_api resource of each API
BODY_FAULTS = {
    "shotstack.render_get": ("wrong_content_type", "shotstack/renders", "/shotstack/edit/v1/render/"),
    "shotstack.templates": ("malformed", "shotstack/templates", "/shotstack/edit/v1/templates"),
    "picsart.balance": ("wrong_content_type", "picsart/balance", "/picsart/tools/1.0/balance"),
    "picsart.effects": ("malformed", "picsart/effects", "/picsart/tools/1.0/effects"),
}
BODY_SELECTION = [
    "picsart/balance",
    "picsart/effects",
    "picsart/ai_effects",
    *SHOTSTACK_ASSETS,
]


def test_bodies_that_are_not_json_fail_their_asset_by_name_and_the_next_run_completes(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A body cut short and an HTML page sent as 200 each fail their own asset with a message naming
    the path (and, for the page, its content type); the other assets load exactly; a plain run then
    loads everything, the balance snapshot included."""
    for endpoint, (kind, _, _) in BODY_FAULTS.items():
        still.set_fault(endpoint, Fault(kind=kind))
    result = materialize(warehouse, instance, BODY_SELECTION, raise_on_error=False)

    assert not result.success
    failed = {asset for _, asset, _ in BODY_FAULTS.values()}
    assert materialized(result) == set(BODY_SELECTION) - failed
    text = failure_text(result)
    for kind, asset, path in BODY_FAULTS.values():
        line = next(line for line in text.splitlines() if line.startswith(f"- {asset}:"))
        assert path in line, line
        if kind == "wrong_content_type":  # not transient: something else answers in the API's place
            assert "with text/html instead of JSON" in line and "base_url points at the API" in line, line
        else:
            assert "not valid JSON" in line and "transient" in line, line
    assert_only_world_rows(still, warehouse, materialized(result))
    assert loaded_balance(warehouse) == []

    assert_plain_run_loads_the_world(still, warehouse, instance, BODY_SELECTION)


def test_endpoint_slower_than_the_request_timeout_fails_alone_and_the_next_run_completes(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Templates answer after dlt's request timeout: each attempt waits it out, templates fail naming
    the setting, the other Shotstack assets load exactly; at full speed the next run completes."""
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "1")  # short, but no sound answer comes near it
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    still.set_latency(3.0, "shotstack.templates")
    result = materialize(warehouse, instance, SHOTSTACK_ASSETS, raise_on_error=False)

    assert materialized(result) == set(SHOTSTACK_ASSETS) - {"shotstack/templates"}
    text = failure_text(result)
    assert "shotstack/templates" in text and "/edit/v1/templates" in text
    assert "[runtime] request_timeout (1 s)" in text and "request_max_attempts (2)" in text
    assert still.counts["shotstack.templates"] == 2
    assert_only_world_rows(still, warehouse, materialized(result))

    monkeypatch.delenv("RUNTIME__REQUEST_TIMEOUT")
    monkeypatch.delenv("RUNTIME__REQUEST_MAX_ATTEMPTS")
    assert_plain_run_loads_the_world(still, warehouse, instance, SHOTSTACK_ASSETS)


def test_connections_dropped_mid_answer_are_retried_and_the_next_run_completes(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a proxy that cuts answers off mid-body: dlt retries those cut now and then, and loses
    nothing; an endpoint whose every answer is cut fails alone, naming its path and the retries.
    With the link sound again, a plain run through the same proxy completes."""
    always = "/shotstack/ingest/v1/sources"
    cuts = Cuts(share=0.3, always=(always,), seed=3)
    selection = ["picsart/balance", *SHOTSTACK_ASSETS]
    with cutting_proxy(str(still.base_url), cuts) as proxy:
        point_at(still, monkeypatch, proxy)
        result = materialize(warehouse, instance, selection, raise_on_error=False)

        assert materialized(result) == set(selection) - {"shotstack/ingest_sources"}
        assert len(cuts.cut(always)) == 5, "dlt tried request_max_attempts times"
        assert set(cuts.cut()) - {always}, "answers of other endpoints were cut, and retried"
        assert sum(still.counts.values()) == len(cuts.log), "every answer cut was served, then cut"
        text = failure_text(result)
        assert "shotstack/ingest_sources" in text and always in text
        assert "dropped the connection before its answer was complete" in text
        assert "request_max_attempts (5)" in text
        answered = [not cut for cut in cuts.answers("/picsart/tools/1.0/balance")]
        assert_only_world_rows(still, warehouse, materialized(result), answered)

        cuts.share, cuts.always = 0.0, ()
        assert_plain_run_loads_the_world(still, warehouse, instance, SHOTSTACK_ASSETS)


def test_render_fields_added_become_columns_reported_in_metadata_and_missing_ones_load(
    still: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Renders start answering with a field the source does not declare and without `plan` and
    `owner`: the run succeeds, the field is a new column, named in the materialization's
    `new_columns`; the missing fields are NULL. Once the answers are back to normal, a plain run
    loads exactly the world and reports no new column."""
    ids = still.world.render_ids("v1")
    first = {"ops": {"shotstack": {"config": {"render_ids": ids[:2]}}}}
    assert "new_columns" not in renders_metadata(
        materialize(warehouse, instance, ["shotstack/renders"], run_config=first)
    )

    still.drift_renders(add={"deliveryRegion": "ap-southeast-2"}, remove=["plan", "owner"])
    result = materialize(warehouse, instance, ["shotstack/renders"])

    assert result.success
    assert renders_metadata(result)["new_columns"].value == ["renders.delivery_region"]
    now = still.clock.now()
    unsettled = {r.id for r in still.world.renders if r.status_at(now) not in ("done", "failed")}
    drifted = set(ids[2:]) | (set(ids[:2]) & unsettled)  # the lookups of the second run
    found = rows(warehouse, "select id, delivery_region, plan, owner from shotstack_data.renders order by id")
    assert found == sorted(
        (i, "ap-southeast-2", None, None) if i in drifted else (i, None, "basic", still.world.owner)
        for i in ids
    )
    assert_only_world_rows(still, warehouse, {"shotstack/renders"})

    plain = assert_plain_run_loads_the_world(still, warehouse, instance, ["shotstack/renders"])
    assert "new_columns" not in renders_metadata(plain)
