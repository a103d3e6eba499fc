"""After a successful load of everything, neither API key appears anywhere a user or a log reader looks."""

import os
from pathlib import Path

import dagster as dg
import duckdb

from media_assets.sandbox import Sandbox

from .helpers.materialize import materialize


def warehouse_text(warehouse: str) -> str:
    """Every cell of every table in the warehouse, dlt's own tables included, as text."""
    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        return "\n".join(
            str(con.execute(f'select * from "{schema}"."{table}"').fetchall()) for schema, table in tables
        )


def test_keys_reach_no_log_metadata_table_or_pipeline_file(
    sandbox_environ: dict, fresh_sandbox: Sandbox, warehouse: str, instance: dg.DagsterInstance
) -> None:
    keys = [fresh_sandbox.picsart_key, fresh_sandbox.shotstack_key]
    result = materialize(warehouse, instance)
    assert result.success
    logs = "\n".join(
        str(r.dagster_event or "") + str(r.user_message) for r in instance.all_logs(result.run_id)
    )
    metadata = "\n".join(
        str(m.metadata) for m in result.asset_materializations_for_node("picsart")
    ) + "\n".join(str(m.metadata) for m in result.asset_materializations_for_node("shotstack"))
    tables = warehouse_text(warehouse)
    pipeline_files = b"".join(
        path.read_bytes() for path in Path(os.environ["DLT_DATA_DIR"]).rglob("*") if path.is_file()
    )
    # the places searched hold the run: its logs, dlt's metadata, the rows, dlt's state and schemas
    assert "STEP_SUCCESS" in logs and "dataset_name" in metadata
    assert fresh_sandbox.world.render_ids("v1")[0] in tables
    assert b"shotstack_source" in pipeline_files
    for key in keys:
        assert key not in logs
        assert key not in metadata
        assert key not in tables
        assert key.encode() not in pipeline_files
