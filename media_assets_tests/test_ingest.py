"""Every Picsart and Shotstack resource loads from the sandbox into DuckDB, exactly and idempotently."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import dlt
import pytest
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from media_assets.local.sandbox_env import demo_query, sandbox_env
from media_assets.sandbox import Sandbox, World, WorldSize
from media_assets.sources.picsart import picsart_source
from media_assets.sources.shotstack import shotstack_source

from .helpers import ROOT, SEED
from .helpers.materialize import count, expected_counts, materialize, rows
from .helpers.webserver import bin_path


def test_every_resource_loads_exact_rows(
    sandbox_environ: dict, world: World, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """One run materializes all twelve assets and each table holds exactly the world's rows; each
    materialization's column schema is the loaded table's, every column described (dlt's own too)."""
    result = materialize(warehouse, instance)
    events = result.get_asset_materialization_events()
    materialized = {e.asset_key.to_user_string() for e in events}
    assert len(materialized) == 12
    for event in events:
        columns = event.materialization.metadata["dagster/column_schema"].value.columns
        table = ".".join([f"{event.asset_key.path[0]}_data", event.asset_key.path[1]])
        names = [r[0] for r in rows(warehouse, f"select column_name from (describe {table})")]
        assert sorted(c.name for c in columns) == sorted(names), table
        assert all(c.description and c.description.strip() for c in columns), table
        nested = [v for v in event.materialization.metadata.values() if isinstance(v, dg.TableSchema)]
        assert all(c.description for schema in nested for c in schema.columns), table
    for table, expected in expected_counts(world).items():
        assert count(warehouse, table) == expected, table
    assert len(world.picsart.search(demo_query(world))) > 0


def test_assets_by_render_follow_loaded_done_renders(
    sandbox_environ: dict, world: World, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Each done render brings exactly its hosted files, and every file names a loaded render."""
    materialize(warehouse, instance)
    done = [r for (r,) in rows(warehouse, "select id from shotstack_data.renders where status='done'")]
    assert done, "the seeded world has done renders"
    assert count(warehouse, "shotstack_data.assets_by_render") == sum(
        len(world.assets_for(render_id)) for render_id in done
    )
    orphans = rows(
        warehouse,
        "select a.id from shotstack_data.assets_by_render a "
        "left join shotstack_data.renders r on r.id = a.render_id where r.id is null",
    )
    assert orphans == []


def test_assets_by_render_count_is_the_worlds(
    warehouse: str, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the clock frozen, the files row count is what the world says: the done renders' files only."""
    world = World.generate(seed=SEED, size=WorldSize())
    sandbox = Sandbox(world, clock_speed=0.0)  # no render finishes while the run is under way
    done = [r.id for r in world.renders if r.version == "v1" and r.status_at(world.now) == "done"]
    expected = sum(len(world.assets_for(render_id)) for render_id in done)
    unfinished = [r.id for r in world.renders if r.version == "v1" and r.id not in done]
    assert expected and any(world.assets_for(i) for i in unfinished), "the count tells done from not done"
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        materialize(warehouse, instance, selection=["shotstack/renders", "shotstack/assets_by_render"])
    assert count(warehouse, "shotstack_data.assets_by_render") == expected


def test_second_run_duplicates_nothing(
    sandbox_environ: dict, world: World, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Entities merge on their id; only the balance grows, by one snapshot per run."""
    materialize(warehouse, instance)
    first = {table: count(warehouse, table) for table in expected_counts(world)}
    first["shotstack_data.assets_by_render"] = count(warehouse, "shotstack_data.assets_by_render")
    materialize(warehouse, instance)
    for table, rows_before in first.items():
        grown = 1 if table == "picsart_data.balance" else 0
        if table == "shotstack_data.assets_by_render":
            continue  # a render may finish between runs and bring new files
        assert count(warehouse, table) == rows_before + grown, table
    ids = rows(warehouse, "select count(*) - count(distinct id) from shotstack_data.assets_by_render")
    assert ids == [(0,)]


def test_sources_send_keys_and_accept_header(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """Every endpoint a run calls got its API's key and `Accept: application/json`, Shotstack's too.

    Picsart's sandbox refuses a request with no Accept (406) but answers requests' default `*/*`,
    and Shotstack's answers either, so only the headers the sandbox saw show the sources send it.
    """
    materialize(warehouse, instance)
    counts = fresh_sandbox.counts
    assert counts["picsart.balance"] == 1
    assert counts["shotstack.render_get"] == len(fresh_sandbox.world.render_ids("v1"))
    assert counts["shotstack.templates"] == 1
    called = {name for name, n in counts.items() if n}
    assert {name for name in called if name.startswith("shotstack.")} == {
        "shotstack.render_get",
        "shotstack.assets_by_render",
        "shotstack.asset_get",
        "shotstack.templates",
        "shotstack.sources",
    }
    keys = {
        "picsart": ("x-picsart-api-key", fresh_sandbox.picsart_key),
        "shotstack": ("x-api-key", fresh_sandbox.shotstack_key),
    }
    for name in sorted(called):
        headers = fresh_sandbox.last_headers[name]
        header, key = keys[name.split(".")[0]]
        assert headers.get(header) == key, name
        assert headers.get("accept") == "application/json", name


def reload_dlt_settings() -> None:
    """dlt reads its TOML files once per process and keeps them; make it read them again."""
    Container()[PluggableRunContext].reload_providers()


@pytest.fixture
def secrets_toml_project(
    sandbox_environ: dict, fresh_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh dlt project folder whose .dlt/secrets.toml alone holds both sandbox keys."""
    project = tmp_path / "project"
    (project / ".dlt").mkdir(parents=True)
    shutil.copy(ROOT / ".dlt" / "config.toml", project / ".dlt" / "config.toml")
    (project / ".dlt" / "secrets.toml").write_text(
        f"[sources.picsart_source]\napi_key = {json.dumps(fresh_sandbox.picsart_key)}\n\n"
        f"[sources.shotstack_source]\napi_key = {json.dumps(fresh_sandbox.shotstack_key)}\n"
    )
    for name in sandbox_environ:
        if name.endswith("__API_KEY"):
            monkeypatch.delenv(name)
    previous = os.environ["DLT_PROJECT_DIR"]
    monkeypatch.setenv("DLT_PROJECT_DIR", str(project))
    reload_dlt_settings()
    yield project
    monkeypatch.setenv("DLT_PROJECT_DIR", previous)
    reload_dlt_settings()


def test_keys_from_secrets_toml(
    secrets_toml_project: Path,
    fresh_sandbox: Sandbox,
    world: World,
    warehouse: str,
    instance: dg.DagsterInstance,
) -> None:
    """The README's way to give the keys, .dlt/secrets.toml with no key in the environment, runs both APIs."""
    assert not [name for name in os.environ if name.endswith("_API_KEY")]
    result = materialize(warehouse, instance, selection=["picsart/balance", "shotstack/templates"])
    assert result.success
    assert (fresh_sandbox.counts["picsart.balance"], fresh_sandbox.counts["shotstack.templates"]) == (1, 1)
    assert count(warehouse, "picsart_data.balance") == 1
    assert count(warehouse, "shotstack_data.templates") == len(world.templates["v1"])


def test_config_toml_points_the_sources_at_the_real_apis() -> None:
    """With no environment override, the sources resolve the publishers' hosts and Shotstack's v1."""
    assert not [name for name in os.environ if name.startswith("SOURCES__")]
    expected = {
        picsart_source: {"base_url": "https://api.picsart.io"},
        shotstack_source: {"base_url": "https://api.shotstack.io", "version": "v1"},
    }
    for source, values in expected.items():
        # what dlt injects when a run calls the source: its arguments resolved in its own sections
        resolved = resolve_configuration(
            source.ref.SPEC(),
            sections=("sources", source.section, source.name),
            explicit_value={"api_key": "not-used-no-request-is-made"},
        )
        assert {name: resolved[name] for name in values} == values, source.name
        for name, value in values.items():
            assert dlt.config[f"sources.{source.section}.{name}"] == value


def test_pipeline_dataset_reads_the_warehouse(
    sandbox_environ: dict, world: World, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """The README's `pipeline.dataset()` query works on the loaded file (sqlglot pinned for it)."""
    materialize(warehouse, instance, selection=["shotstack/renders"])
    pipeline = dlt.pipeline(
        "shotstack_pipeline", destination=dlt.destinations.duckdb(warehouse), dataset_name="shotstack_data"
    )
    assert len(pipeline.dataset().renders.fetchall()) == len(world.render_ids("v1"))


def test_readme_queries_run_read_only_on_the_warehouse(
    sandbox_environ: dict, world: World, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """The README's one-line queries work on a loaded file, as the read-only readers it recommends."""
    materialize(warehouse, instance, selection=["shotstack/renders", "picsart/balance"])
    section = (ROOT / "README.md").read_text().split("## Querying the result")[1].split("\n## ")[0]
    commands = [line for line in section.splitlines() if line.startswith(".venv/bin/python -c ")]
    assert len(commands) == 2
    outputs = []
    for line in commands:
        code = (
            line.removeprefix(".venv/bin/python -c ")
            .strip('"')
            .replace("data/media_assets.duckdb", warehouse)
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    statuses = rows(warehouse, "select distinct status from shotstack_data.renders")
    assert statuses and all(status in outputs[0] for (status,) in statuses)
    assert "taken_at" in outputs[1]


def test_dlt_command_line_shows_the_pipeline(
    sandbox_environ: dict, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """The README's `dlt pipeline picsart_pipeline info` finds the pipeline a materialization ran."""
    materialize(warehouse, instance, selection=["picsart/balance"])
    section = (ROOT / "README.md").read_text().split("## Querying the result")[1].split("\n## ")[0]
    assert "\ndlt pipeline picsart_pipeline info " in section
    done = subprocess.run(
        [bin_path("dlt"), "pipeline", "picsart_pipeline", "info"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "dataset_name: picsart_data" in done.stdout
    assert "destination_type: dlt.destinations.duckdb" in done.stdout


def test_balance_snapshots_take_the_servers_time(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    """A snapshot's `taken_at` is the API's Date header, so a moved sandbox clock moves it too."""
    materialize(warehouse, instance, selection=["picsart/balance"])
    fresh_sandbox.clock.advance(86400)
    materialize(warehouse, instance, selection=["picsart/balance"])
    ((first, second),) = rows(warehouse, "select min(taken_at), max(taken_at) from picsart_data.balance")
    assert 86399 <= (second - first).total_seconds() <= 86460
