"""No secret is ever persisted: API keys and the callback token appear in nothing the product keeps.

Each test runs the real thing with a recognizable secret, then searches byte-wise everything the
product and its libraries write: the Dagster instance's SQLite files and compute logs, every cell
of the warehouse, dlt's pipeline folders (load packages gunzipped, traces unpickled), the inbox,
and every message captured on the way.
"""

import base64
import binascii
import gzip
import logging
import pickle
import shutil
import sqlite3
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
import requests

from media_assets.lib.inbox import scan
from media_assets.local.sandbox_env import sandbox_env
from media_assets.sandbox import Render, Sandbox, World

from .helpers.materialize import materialize
from .helpers.sandbox_world import NOW, edit
from .helpers.webserver import receiver


def secret(kind: str) -> str:
    """A value no fixture, world or default could hold by chance."""
    return f"{kind}-SECRET-{uuid.uuid4()}"


def unpacked(data: bytes) -> Iterator[bytes]:
    """`data`, and what it holds when it is gzip, zlib or base64 of zlib (dlt's stored state)."""
    yield data
    for unpack in (gzip.decompress, zlib.decompress, lambda d: zlib.decompress(base64.b64decode(d))):
        try:
            inner = unpack(data)
        except (OSError, EOFError, zlib.error, binascii.Error, ValueError):
            continue
        yield inner


def file_contents(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under `folder`, as stored and unpacked; a pickle (dlt's trace) also as its repr."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for piece in unpacked(data):
            yield str(path), piece
        if path.suffix == ".pickle":
            yield f"{path} (unpickled)", repr(pickle.loads(data)).encode()


def sqlite_cells(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every cell of every table of every SQLite file under `folder` (Dagster compresses snapshots)."""
    for path in sorted(folder.rglob("*.db")):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            tables = [name for (name,) in con.execute("select name from sqlite_master where type='table'")]
            for table in tables:
                for row in con.execute(f'select * from "{table}"'):
                    for cell in row:
                        data = cell if isinstance(cell, bytes) else str(cell).encode()
                        for piece in unpacked(data):
                            yield f"{path}:{table}", piece


def warehouse_cells(warehouse: str) -> Iterator[tuple[str, bytes]]:
    """Every cell of every table in the warehouse, dlt's own included; dlt's state decompressed."""
    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            for row in con.execute(f'select * from "{schema}"."{table}"').fetchall():
                for cell in row:
                    data = cell if isinstance(cell, bytes) else str(cell).encode()
                    for piece in unpacked(data):
                        yield f"{schema}.{table}", piece


def found(secrets: list[str], places: Iterable[tuple[str, bytes]]) -> list[str]:
    """Where any of `secrets` occurs, as `place: secret`; empty when none does."""
    needles = [s.encode() for s in secrets]
    return [f"{place}: {n.decode()}" for place, data in places for n in needles if n in data]


@pytest.fixture
def every_record(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """caplog keeps every record at DEBUG, dlt's too: dlt's logger does not propagate to the root."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")  # if dlt sets its logger up again meanwhile
    dlt_logger = logging.getLogger("dlt")
    level = dlt_logger.level
    dlt_logger.setLevel(logging.DEBUG)
    dlt_logger.addHandler(caplog.handler)
    yield
    dlt_logger.removeHandler(caplog.handler)
    dlt_logger.setLevel(level)


@pytest.fixture
def keyed(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox that accepts only freshly made keys, and both sources pointed at it with them."""
    sandbox = Sandbox(world, picsart_key=secret("sk"), shotstack_key=secret("sk"))
    with sandbox.serve():
        for name, value in sandbox_env(sandbox, world).items():
            monkeypatch.setenv(name, value)
        yield sandbox


def test_api_keys_are_persisted_nowhere_after_a_good_and_a_refused_run(
    keyed: Sandbox,
    every_record: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A full load, then a load refused (401, 403) for wrong keys: no key anywhere, 0 times."""
    dlt_dir, home, warehouse = tmp_path / "dlt", tmp_path / "dagster_home", str(tmp_path / "w.duckdb")
    monkeypatch.setenv("DLT_DATA_DIR", str(dlt_dir))
    wrong = [secret("sk"), secret("sk")]
    keys = [keyed.picsart_key, keyed.shotstack_key, *wrong]
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        good = materialize(warehouse, instance)
        shutil.copytree(dlt_dir, tmp_path / "dlt-after-the-good-run")  # dlt keeps only the last trace
        monkeypatch.setenv("SOURCES__PICSART_SOURCE__API_KEY", wrong[0])
        monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__API_KEY", wrong[1])
        refused = materialize(warehouse, instance, raise_on_error=False)
        logs = [
            (f"event {record.run_id}", (str(record.dagster_event) + record.user_message).encode())
            for run in (good, refused)
            for record in instance.all_logs(run.run_id)
        ]
    assert good.success and not refused.success
    captured = capfd.readouterr()
    messages = [
        ("caplog", caplog.text.encode()),
        ("stdout", captured.out.encode()),
        ("stderr", captured.err.encode()),
        *logs,
    ]
    # the rate-limit budget beside the warehouse names each bucket by a hash of its key
    budget = [(path.name, path.read_bytes()) for path in tmp_path.glob("rate_limits.sqlite*")]
    assert budget, "the runs kept their rate-limit budget beside the warehouse"
    # the searched places hold both runs: what they loaded, why the second failed, dlt's traces
    everything = [
        *budget,
        *file_contents(home),
        *sqlite_cells(home),
        *file_contents(tmp_path / "dlt-after-the-good-run"),
        *file_contents(dlt_dir),
        *warehouse_cells(warehouse),
        *messages,
    ]
    text = b"\n".join(data for _, data in everything)
    assert b"HTTP 401" in text and b"HTTP 403" in text
    assert keyed.world.render_ids("v1")[0].encode() in text
    assert any(place.endswith("trace.pickle (unpickled)") for place, _ in everything)
    assert any("compute_logs" in place for place, _ in everything)
    assert any(r.name == "dlt" and r.levelno == logging.DEBUG for r in caplog.records), "dlt's own log"
    leaks = found(keys, everything)
    assert not leaks, "\n".join(leaks)


def callback(render_id: str | None = None) -> dict:
    return {
        "type": "edit",
        "action": "render",
        "id": render_id or str(uuid.uuid4()),
        "owner": "o",
        "status": "done",
        "url": "https://cdn.test/v.mp4",
        "error": None,
        "completed": "2026-11-01T12:00:00Z",
    }


def finished_render() -> Render:
    """A render that finishes 30 s after the sandbox's frozen clock starts: its callback goes out then."""
    return Render(
        id=str(uuid.uuid4()),
        version="v1",
        edit=edit(),
        created=NOW,
        ready_at=NOW + timedelta(seconds=30),
        final_status="done",
        render_time_ms=30_000,
    )


def sandbox_calls_back(url: str, done: Callable[[Render], bool]) -> None:
    """The sandbox plays Shotstack: one render finishes and is announced to `url`, until `done`."""
    render = finished_render()
    sandbox = Sandbox(World(renders=[render]), clock_speed=0.0, callback_url=url)
    with sandbox.serve():
        sandbox.clock.advance(60)
        deadline = time.monotonic() + 10
        while not done(render) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert done(render), f"the sandbox's callback for {render.id} did not end as expected"


def test_callback_token_is_persisted_nowhere(
    every_record: None, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """Callbacks with the token, a wrong one or none, from a client and from the sandbox: the token
    is in no inbox file, no answer and no message of the receiver's or the sandbox's.

    The test's own HTTP client logs each URL it requests (urllib3, at DEBUG): that is the sender's
    log, standing in for Shotstack's, so it is left out of the search.
    """
    token, wrong = secret("tok"), secret("tok")
    inbox = tmp_path / "inbox"
    sends: list[dict[str, Any]] = [
        {"params": {"token": token}, "json": callback()},
        {"headers": {"X-Callback-Token": token}, "json": callback()},
        {"params": {"token": token}, "json": callback(f"../{token}")},
        {"params": {"token": token}, "headers": {"Content-Type": "application/json"}, "data": token},
        {"params": {"token": wrong}, "json": callback()},
        {"headers": {"X-Callback-Token": wrong}, "json": callback()},
        {"json": callback()},
    ]
    with receiver(inbox, token) as url:
        answers = [requests.post(url, timeout=10, **send) for send in sends]
        sandbox_calls_back(f"{url}?token={token}", lambda r: r.id in scan(inbox, None).new_ids)
        sandbox_calls_back(f"{url}?token={wrong}", lambda r: r.id in caplog.text)
    assert [a.status_code for a in answers] == [200, 200, 400, 400, 403, 403, 403]
    assert len(scan(inbox, None).new_ids) == 3
    captured = capfd.readouterr()
    records = [r for r in caplog.records if not r.name.startswith("urllib3")]
    assert any("callback for render" in r.getMessage() for r in records), "the refused callback is logged"
    everything = [
        *file_contents(inbox),
        *[(f"answer {a.status_code}", str(a.headers).encode() + a.content) for a in answers],
        *[(f"log {r.name}", caplog.handler.format(r).encode()) for r in records],
        ("stdout", captured.out.encode()),
        ("stderr", captured.err.encode()),
    ]
    leaks = found([token, wrong], everything)
    assert not leaks, "\n".join(leaks)
