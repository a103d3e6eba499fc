"""Render tracking: inbox sensor, finished-render asset sensor, refreshes counted by the sandbox."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from media_assets.lib.inbox import drop_ids
from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Fault, Sandbox, World, WorldSize

from .helpers.location import sensor
from .helpers.materialize import count, materialize, rows
from .helpers.sandbox_world import DONE_ID, POSTER_ID, VIDEO_ID, hand_world

UNKNOWN_ID = "99999999-9999-4999-8999-999999999999"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox whose clock stands still, with pending renders, and the sources pointed at it."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=8, renders_stage=0, pending_share=0.4))
    sandbox = Sandbox(world, clock_speed=0.0)
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        yield sandbox


def unfinished(sandbox: Sandbox) -> list[str]:
    now = sandbox.clock.now()
    return [
        r.id
        for r in sandbox.world.renders
        if r.version == "v1" and r.status_at(now) not in ("done", "failed")
    ]


def test_inbox_sensor_requests_new_ids_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """New ids give exactly one run request for exactly those ids; a repeat look gives none."""
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(tmp_path))
    ids = ["0b5c3f4e-1d2a-4c3b-9e8f-7a6b5c4d3e2f", "1c6d4a5f-2e3b-4d4c-8f9a-8b7c6d5e4f3a"]
    drop_ids(tmp_path, ids)
    with dg.instance_for_test() as instance:
        first = sensor("render_inbox_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
        assert len(first.run_requests) == 1
        assert first.run_requests[0].run_config["ops"]["shotstack"]["config"]["render_ids"] == ids
        drop_ids(tmp_path, ids[:1])  # the same id again, in a new file
        again = sensor("render_inbox_sensor").evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=first.cursor)
        )
        assert again.run_requests == []


def test_half_written_file_waits_and_is_not_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line without its newline, or a .tmp file, is read only once it is complete."""
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(tmp_path))
    first_id, second_id = "2d7e5b6a-3f4c-4e5d-9a0b-9c8d7e6f5a4b", "3e8f6c7b-4a5d-4f6e-8b1c-0d9e8f7a6b5c"
    (tmp_path / "writing.tmp").write_text(f"{second_id}\n")
    partial = tmp_path / "batch.txt"
    partial.write_text(f"{first_id}\n{second_id[:10]}")
    with dg.instance_for_test() as instance:
        tick = sensor("render_inbox_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
        assert tick.run_requests[0].run_config["ops"]["shotstack"]["config"]["render_ids"] == [first_id]
        partial.write_text(f"{first_id}\n{second_id}\n")
        later = sensor("render_inbox_sensor").evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=tick.cursor)
        )
        assert later.run_requests[0].run_config["ops"]["shotstack"]["config"]["render_ids"] == [second_id]


def test_finished_render_sensor_requests_only_newly_done(
    frozen: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A renders materialization that saw renders reach done starts one fetch; one that saw none, none."""
    pending = unfinished(frozen)
    assert pending, "the world has renders still in progress"
    materialize(warehouse, instance, selection=["shotstack/renders"])
    done_now = [r for (r,) in rows(warehouse, "select id from shotstack_data.renders where status = 'done'")]
    assert latest_renders_metadata(instance)["renders_done"].value == sorted(done_now)
    tick = sensor("finished_renders_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
    assert [r.run_config for r in tick.run_requests] == [{}]

    frozen.clock.advance(3600)
    materialize(warehouse, instance, selection=["shotstack/renders"])
    later = sensor("finished_renders_sensor").evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=tick.cursor)
    )
    late_done = sorted(i for i in pending if frozen.world.render(i, "v1").final_status == "done")
    late_failed = sorted(i for i in pending if frozen.world.render(i, "v1").final_status == "failed")
    assert len(later.run_requests) == (1 if late_done else 0)
    meta = latest_renders_metadata(instance)
    assert meta["renders_done"].value == late_done
    assert meta["renders_failed"].value == late_failed
    assert meta["renders_looked_up"].value == len(pending)


def test_finished_render_sensor_sees_renders_behind_a_later_materialization(
    frozen: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Renders seen finishing still start a fetch when another renders run lands before the tick."""
    pending = unfinished(frozen)
    materialize(warehouse, instance, selection=["shotstack/renders"])
    first = sensor("finished_renders_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
    frozen.clock.advance(3600)
    materialize(warehouse, instance, selection=["shotstack/renders"])
    assert latest_renders_metadata(instance)["renders_done"].value, "renders finished in the hour"
    materialize(warehouse, instance, selection=["shotstack/renders"])  # nothing left to finish
    assert latest_renders_metadata(instance)["renders_done"].value == []
    later = sensor("finished_renders_sensor").evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=first.cursor)
    )
    assert len(later.run_requests) == 1, (pending, later.skip_message)


def latest_renders_metadata(instance: dg.DagsterInstance) -> dict:
    event = instance.get_latest_materialization_event(dg.AssetKey(["shotstack", "renders"]))
    return event.asset_materialization.metadata


def test_refresh_asks_only_for_unfinished_renders(
    frozen: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A refresh with k pending renders makes k lookups; once all are final it makes none."""
    all_v1 = frozen.world.render_ids("v1")
    materialize(warehouse, instance, selection=["shotstack/renders"])
    assert frozen.counts["shotstack.render_get"] == len(all_v1)
    k = len(unfinished(frozen))

    frozen.reset_counts()
    materialize(warehouse, instance, selection=["shotstack/renders"])
    assert frozen.counts["shotstack.render_get"] == k

    frozen.clock.advance(3600)
    frozen.reset_counts()
    materialize(warehouse, instance, selection=["shotstack/renders"])
    assert frozen.counts["shotstack.render_get"] == k
    frozen.reset_counts()
    materialize(warehouse, instance, selection=["shotstack/renders"])
    assert frozen.counts["shotstack.render_get"] == 0
    assert count(warehouse, "shotstack_data.renders") == len(all_v1)


def test_unknown_render_is_recorded_and_not_retried(
    frozen: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A 404 id lands in renders_not_found and is never asked for again."""
    config = {"ops": {"shotstack": {"config": {"render_ids": [UNKNOWN_ID]}}}}
    materialize(warehouse, instance, selection=["shotstack/renders"], run_config=config)
    assert rows(warehouse, "select id from shotstack_data.renders_not_found") == [(UNKNOWN_ID,)]
    frozen.reset_counts()
    materialize(warehouse, instance, selection=["shotstack/renders"], run_config=config)
    assert frozen.counts["shotstack.render_get"] == 0


def test_files_are_fetched_only_until_settled(
    frozen: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """assets_by_render asks for done renders whose files are not all settled, and merges on the file id."""
    materialize(warehouse, instance, selection=["shotstack/renders"])
    frozen.clock.advance(3600)  # every hosted file is ready or failed by now
    materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
    done = [r for (r,) in rows(warehouse, "select id from shotstack_data.renders where status = 'done'")]
    assert frozen.counts["shotstack.assets_by_render"] == len(done)
    assert count(warehouse, "shotstack_data.assets_by_render") == sum(
        len(frozen.world.assets_for(i)) for i in done
    )
    frozen.reset_counts()
    materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
    assert frozen.counts["shotstack.assets_by_render"] == 0
    assert frozen.counts["shotstack.render_get"] == 0


def test_unsettled_files_of_a_done_render_are_fetched_until_ready(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A done render with a file still importing is asked for again, once, until the file is ready.

    The hand-made world's done render has its video ready and its poster ready 30 s after the
    frozen clock: the second lookup must update the poster's row in place, not add one.
    """
    world = hand_world()
    sandbox = Sandbox(world, clock_speed=0.0)
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        materialize(warehouse, instance, selection=["shotstack/renders"])
        file_status = "select id, status from shotstack_data.assets_by_render order by id"

        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
        assert sandbox.counts["shotstack.assets_by_render"] == 1
        assert rows(warehouse, file_status) == sorted([(VIDEO_ID, "ready"), (POSTER_ID, "importing")])

        sandbox.clock.advance(40)  # the poster is ready; the pending render (60 s) is not done yet
        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
        assert sandbox.counts["shotstack.assets_by_render"] == 1
        assert rows(warehouse, file_status) == sorted([(VIDEO_ID, "ready"), (POSTER_ID, "ready")])
        assert rows(warehouse, "select distinct render_id from shotstack_data.assets_by_render") == [
            (DONE_ID,)
        ]

        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
        assert sandbox.counts["shotstack.assets_by_render"] == 0


def test_inbox_id_of_a_failed_run_is_looked_up_by_the_next_refresh(
    frozen: Sandbox,
    warehouse: str,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sensor's cursor moves past an id, but the refresh reads the whole inbox: no id is lost."""
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(inbox))
    monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")
    ids = sorted(frozen.world.render_ids("v1")[:2])
    drop_ids(inbox, ids)
    tick = sensor("render_inbox_sensor").evaluate_tick(dg.build_sensor_context(instance=instance))
    frozen.set_fault("shotstack.render_get", Fault(503))
    failed = materialize(
        warehouse,
        instance,
        ["shotstack/renders"],
        raise_on_error=False,
        run_config=tick.run_requests[0].run_config,
    )
    assert not failed.success
    assert (
        sensor("render_inbox_sensor")
        .evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
        .run_requests
        == []
    )

    frozen.clear_faults()
    frozen.reset_counts()
    materialize(warehouse, instance, ["shotstack/renders"])
    assert [i for (i,) in rows(warehouse, "select id from shotstack_data.renders order by id")] == ids
    assert frozen.counts["shotstack.render_get"] == 2


def test_switching_version_keeps_each_versions_renders_apart(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unfinished v1 renders are not asked for on stage (a 404 there would retire them for good)."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=6, renders_stage=3, pending_share=0.5))
    sandbox = Sandbox(world, clock_speed=0.0)
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world, "v1").items():
            monkeypatch.setenv(name, value)
        materialize(warehouse, instance, selection=["shotstack/renders"])
        pending_v1 = unfinished(sandbox)
        assert pending_v1, "the world has v1 renders still in progress"

        for name, value in sandbox_env(sandbox, world, "stage").items():
            monkeypatch.setenv(name, value)
        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/renders"])
        assert sandbox.counts["shotstack.render_get"] == len(world.render_ids("stage"))
        assert count(warehouse, "shotstack_data.renders_not_found") == 0

        for name, value in sandbox_env(sandbox, world, "v1").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")
        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/renders"])
        assert sandbox.counts["shotstack.render_get"] == len(pending_v1)


def test_rate_limit_defers_the_rest_to_the_next_run_and_loses_nothing(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More renders than one rate window allows: each run keeps what it fetched, the next goes on."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=8, renders_stage=0, pending_share=0.0))
    window = 3.0  # seconds; Edit v1's 300 calls scaled to 3 per window
    sandbox = Sandbox(world, clock_speed=0.0, rate_limit_scale=0.01, rate_window_seconds=window)
    ids = world.render_ids("v1")
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", json.dumps(ids))
        first = materialize(warehouse, instance, selection=["shotstack/renders"])
        meta = first.asset_materializations_for_node("shotstack")[0].metadata
        assert meta["renders_looked_up"].value == 3
        deferred = meta["renders_deferred"].value
        looked_up = [i for (i,) in rows(warehouse, "select id from shotstack_data.renders")]
        assert len(looked_up) == 3, "one window's worth, whichever workers got the budget first"
        assert sorted(looked_up + deferred) == sorted(ids), "every id is either loaded or deferred"

        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")  # only the state remembers them
        for loaded in (6, 8):
            time.sleep(window + 0.2)
            assert materialize(warehouse, instance, selection=["shotstack/renders"]).success
            assert count(warehouse, "shotstack_data.renders") == loaded
    assert sorted(i for (i,) in rows(warehouse, "select id from shotstack_data.renders")) == sorted(ids)


def test_serve_rate_limit_defers_hosted_files_to_the_next_run(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of more done renders than one Serve window allows arrive over runs, none twice, none lost."""
    world = World.generate(seed=11, size=WorldSize(renders_v1=8, renders_stage=0, pending_share=0.0))
    window = 3.0
    sandbox = Sandbox(world, clock_speed=0.0, rate_window_seconds=window)
    done = [r.id for r in world.renders if r.version == "v1" and r.final_status == "done"]
    expected = sum(len(world.assets_for(i)) for i in done)
    assert len(done) > 3, "the world has more done renders than the scaled Serve limit"
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        materialize(warehouse, instance, selection=["shotstack/renders"])
        sandbox.limiter.scale = 0.005  # Serve v1's 600 calls become 3 per window
        runs = 0
        while runs < len(done):
            if runs:
                time.sleep(window + 0.2)
            assert materialize(warehouse, instance, selection=["shotstack/assets_by_render"]).success
            runs += 1
            if count(warehouse, "shotstack_data.assets_by_render") == expected:
                break
        assert runs == -(-len(done) // 3), "each run fetched a full window's worth, then deferred the rest"
        time.sleep(window + 0.2)
        sandbox.reset_counts()
        materialize(warehouse, instance, selection=["shotstack/assets_by_render"])
        assert sandbox.counts["shotstack.assets_by_render"] == 0, "settled files are never fetched again"
    ids = rows(warehouse, "select id from shotstack_data.assets_by_render")
    assert len(ids) == len(set(ids)) == expected
