"""The render inbox as the sensor and the refresh read it: bad bytes, encodings, reused names, volume."""

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pytest

from media_assets.lib.inbox import append_ids, drop_ids, scan
from media_assets.sandbox import World

from .helpers.materialize import materialize, rows
from .helpers.sensors import tick

SENSOR = "render_inbox_sensor"
A, B, C = (
    "6b1c9f0e-7d8a-4c9b-8e4f-3a2b1c0d9e8f",
    "7c2d0a1f-8e9b-4dac-9f50-4b3c2d1e0f9a",
    "8d3e1b2a-9fac-4ebd-8a61-5c4d3e2f1a0b",
)


def lines(*ids: str) -> str:
    return "".join(f"{i}\n" for i in ids)


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(folder))
    return folder


def test_unreadable_lines_are_quarantined_once_and_the_valid_ids_read(
    inbox: Path, instance: dg.DagsterInstance
) -> None:
    """One invalid byte costs its own line only: it moves to quarantine, said once, the ids around it run."""
    not_utf8, not_an_id = b"\xff\xfe\x80 not utf-8\n", b"not a render id\n"
    (inbox / "batch.txt").write_bytes(lines(A).encode() + not_utf8 + lines(B).encode() + not_an_id)
    first = tick(SENSOR, instance)
    assert first.render_ids == [[A, B]]
    (quarantined,) = (inbox / "quarantine").iterdir()
    assert quarantined.read_bytes() == not_utf8 + not_an_id
    assert len(first.warnings) == 1 and str(quarantined) in first.warnings[0], first.warnings

    again = tick(SENSOR, instance, first.cursor)
    assert again.run_requests == [] and again.warnings == []
    assert scan(inbox, None).new_ids == [A, B], "what every refresh reads"
    assert list((inbox / "quarantine").iterdir()) == [quarantined]


def test_a_quarantine_that_cannot_be_written_stops_nothing(inbox: Path, instance: dg.DagsterInstance) -> None:
    """The ids are still read, and the warning says the lines stay in their file only."""
    (inbox / "quarantine").write_bytes(b"")  # a file where the folder should go
    (inbox / "batch.txt").write_bytes(lines(A).encode() + b"\xff\n")
    found = tick(SENSOR, instance)
    assert found.render_ids == [[A]]
    assert len(found.warnings) == 1 and "could not be copied" in found.warnings[0], found.warnings


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_a_byte_order_mark_or_utf16_is_read(inbox: Path, instance: dg.DagsterInstance, encoding: str) -> None:
    """UTF-16 (with or without its BOM) and UTF-8 with a BOM are read, a partial last line included later."""
    batch = inbox / "batch.txt"
    batch.write_bytes((lines(A, B) + C[:10]).encode(encoding))
    first = tick(SENSOR, instance)
    assert first.render_ids == [[A, B]] and first.warnings == []
    batch.write_bytes(lines(A, B, C).encode(encoding))
    later = tick(SENSOR, instance, first.cursor)
    assert later.render_ids == [[C]] and later.warnings == []
    assert not (inbox / "quarantine").exists()


def test_refresh_reads_the_ids_of_utf16_and_damaged_files(
    inbox: Path,
    world: World,
    sandbox_environ: dict,
    warehouse: str,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The refresh reads the whole inbox: a UTF-16 file and a file with a bad line give up their ids."""
    monkeypatch.setenv("SOURCES__SHOTSTACK_SOURCE__RENDER_IDS", "[]")
    ids = sorted(world.render_ids("v1")[:3])
    (inbox / "wide.txt").write_bytes(lines(*ids[:2]).encode("utf-16"))
    (inbox / "damaged.txt").write_bytes(b"\xc3\x28\n" + lines(ids[2]).encode())
    materialize(warehouse, instance, ["shotstack/renders"])
    assert [i for (i,) in rows(warehouse, "select id from shotstack_data.renders order by id")] == ids


@pytest.mark.parametrize("written", [[B], [B, C]], ids=["same-size", "larger"])
def test_a_reused_file_name_is_read_from_its_start(
    inbox: Path, instance: dg.DagsterInstance, written: list[str]
) -> None:
    """A file deleted and written anew under the same name is a new file: all of it is read."""
    batch = inbox / "batch.txt"
    batch.write_text(lines(A))
    first = tick(SENSOR, instance)
    assert first.render_ids == [[A]]
    batch.unlink()
    batch.write_text(lines(*written))
    assert tick(SENSOR, instance, first.cursor).render_ids == [written]


def test_a_cursor_of_the_earlier_form_keeps_its_place(inbox: Path, instance: dg.DagsterInstance) -> None:
    """A sensor upgraded mid-stream neither reads a line again nor skips one: old offsets are kept."""
    (inbox / "batch.txt").write_text(lines(A, B))
    earlier = json.dumps({"offsets": {"batch.txt": len(lines(A))}, "seen": [A]})
    assert tick(SENSOR, instance, earlier).render_ids == [[B]]


def test_the_cursor_forgets_files_that_are_gone(inbox: Path, instance: dg.DagsterInstance) -> None:
    (inbox / "gone.txt").write_text(lines(A))
    (inbox / "kept.txt").write_text(lines(B))
    first = tick(SENSOR, instance)
    assert first.render_ids == [[A, B]]
    (inbox / "gone.txt").unlink()
    second = tick(SENSOR, instance, first.cursor)
    assert second.run_requests == []
    assert "gone.txt" not in second.cursor and "kept.txt" in second.cursor


def test_many_ids_give_bounded_runs_and_a_bounded_cursor(inbox: Path, instance: dg.DagsterInstance) -> None:
    """20,000 ids: runs of at most 1,000 ids, each id in exactly one, and a cursor that does not grow."""
    batches = [[str(uuid.uuid4()) for _ in range(20_000)] for _ in range(2)]
    cursor = None
    sizes = []
    for ids in batches:
        drop_ids(inbox, ids)
        found = tick(SENSOR, instance, cursor)
        assert [i for run in found.render_ids for i in run] == ids
        assert max(len(run) for run in found.render_ids) <= 1_000
        assert len({r.run_key for r in found.run_requests}) == len(found.run_requests)
        cursor = found.cursor
        sizes.append(len(cursor))
    assert sizes[0] < 64 * 1024
    assert sizes[1] < sizes[0] + 1024, "one more file costs one entry; its 20,000 ids cost nothing"
    assert tick(SENSOR, instance, cursor).run_requests == []


def test_an_append_after_a_torn_line_keeps_its_id(tmp_path: Path) -> None:
    """A writer that died mid-line leaves no newline; the next append must not join its id to that line."""
    path = append_ids(tmp_path, [A], "callback")
    with path.open("ab") as torn:
        torn.write(C[:13].encode())
    assert append_ids(tmp_path, [B], "callback") == path
    found = scan(tmp_path, None)
    assert found.new_ids == [A, B]
    assert [r.data for r in found.rejected] == [C[:13].encode() + b"\n"]


def test_appends_the_kernel_cuts_short_never_interleave(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write may store part of its bytes (a disk filling, a signal); no other appender comes in between."""
    write = os.write

    def short_write(descriptor: int, data: bytes) -> int:
        time.sleep(0.001)  # room for another appender between the pieces
        return write(descriptor, data[:8])

    ids = [str(uuid.uuid4()) for _ in range(40)]
    monkeypatch.setattr(os, "write", short_write)
    with ThreadPoolExecutor(8) as appenders:
        list(appenders.map(lambda i: append_ids(tmp_path, [i], "callback"), ids))
    monkeypatch.undo()
    found = scan(tmp_path, None)
    assert sorted(found.new_ids) == sorted(ids) and found.rejected == []


def test_utf16_read_as_utf8_by_an_earlier_cursor_is_read_again(
    inbox: Path, instance: dg.DagsterInstance
) -> None:
    """Before UTF-16 was recognised, its lines were taken as UTF-8 and the offset left mid-character."""
    data = lines(A, B).encode("utf-16-le")
    (inbox / "wide.txt").write_bytes(data)
    earlier = json.dumps({"offsets": {"wide.txt": data.index(b"\n") + 1}, "seen": []})
    assert tick(SENSOR, instance, earlier).render_ids == [[A, B]]
