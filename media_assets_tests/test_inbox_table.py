"""The inbox as a PostgreSQL table: the receiver inserts, the sensor claims once, a refresh reads all."""

import threading

import dagster as dg
import pytest
import requests

from media_assets.defs.shotstack.assets import inbox_ids
from media_assets.lib import inbox_table
from media_assets.lib.postgres import ENV
from media_assets.lib.settings import env_name

from .helpers.sensors import tick
from .helpers.usage_world import render_id
from .helpers.webserver import callback, receiver


@pytest.fixture
def table_inbox(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The PostgreSQL warehouse, with the inbox in its table."""
    monkeypatch.setenv(env_name("warehouse"), "postgres")
    monkeypatch.setenv(env_name("inbox"), "table")
    monkeypatch.setenv(ENV, pg_database)
    return pg_database


def test_callbacks_land_in_the_table_and_the_sensor_claims_each_once(
    table_inbox: str, instance: dg.DagsterInstance
) -> None:
    """Ids posted to the receiver become rows; one tick requests a run with exactly those, the next
    finds nothing new, and a refresh still reads every id, so a failed run loses none."""
    ids = [render_id(n) for n in range(1, 4)]
    with receiver(None) as url:
        for render in [*ids, ids[0]]:  # a repeated callback adds no row
            assert requests.post(url, json=callback(render), timeout=10).status_code == 200
    first = tick("render_inbox_sensor", instance)
    assert first.render_ids == [ids]
    again = tick("render_inbox_sensor", instance)
    assert again.run_requests == []
    assert inbox_ids() == ids
    inbox_table.append_ids([render_id(9)])
    assert tick("render_inbox_sensor", instance).render_ids == [[render_id(9)]]


def test_two_claims_at_once_share_the_ids_out_without_overlap(table_inbox: str) -> None:
    """Sensor ticks on two machines at once: every id is claimed by exactly one of them."""
    ids = [render_id(n) for n in range(1, 201)]
    inbox_table.append_ids(ids)
    claims: list[list[str]] = []
    threads = [threading.Thread(target=lambda: claims.append(inbox_table.claim_new())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [render for claim in claims for render in claim]
    assert sorted(claimed) == sorted(ids)


def test_a_table_inbox_without_the_postgres_warehouse_names_both_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(env_name("inbox"), "table")
    with pytest.raises(
        ValueError, match=r"\[media_assets\] warehouse \(or MEDIA_ASSETS__WAREHOUSE\) to postgres"
    ):
        inbox_table.in_table()
