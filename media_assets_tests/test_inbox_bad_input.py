"""The inbox sensor against bad input: torn lines, a 100,000-line file, binary files, files deleted
while it reads. Nothing is lost, nothing is read twice, and the sensor keeps ticking.
"""

import json
import random
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from media_assets.defs.shotstack.tracking import IDS_PER_RUN
from media_assets.lib.inbox import append_ids, drop_ids
from media_assets.lib.inbox_cursor import RECENT_IDS

from .helpers.sensors import Tick, tick

SENSOR = "render_inbox_sensor"


def new_ids(count: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(count)]


def lines(ids: list[str]) -> bytes:
    return "".join(f"{i}\n" for i in ids).encode()


def requested(ticks: list[Tick]) -> list[str]:
    """Every id the ticks asked a run for, in order, repeats kept."""
    return [i for t in ticks for run in t.render_ids for i in run]


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(folder))
    return folder


def test_a_line_written_in_pieces_is_read_once_whole(inbox: Path, instance: dg.DagsterInstance) -> None:
    """A writer that sends a line in four pieces, a tick between each: only the whole id is read, once."""
    first, torn = new_ids(2)
    batch = inbox / "batch.txt"
    batch.write_bytes(lines([first]))
    ticks = [tick(SENSOR, instance)]
    for piece in (torn[:8], torn[8:20], torn[20:], "\n"):
        with batch.open("a") as handle:
            handle.write(piece)
        ticks.append(tick(SENSOR, instance, ticks[-1].cursor))
    assert [t.render_ids for t in ticks] == [[[first]], [], [], [], [[torn]]]
    assert all(t.warnings == [] for t in ticks)
    assert not (inbox / "quarantine").exists()


def test_a_100k_line_file_gives_each_id_to_exactly_one_run(inbox: Path, instance: dg.DagsterInstance) -> None:
    """100,000 ids, with blank and comment lines among them: runs of at most IDS_PER_RUN, each id once,
    in file order, a cursor that does not grow with the ids, and only appended lines read after."""
    ids = new_ids(100_000)
    text = lines(ids[:50_000]) + b"\n# the second half\n\n" + lines(ids[50_000:])
    (inbox / "big.txt").write_bytes(text)
    first = tick(SENSOR, instance)
    assert requested([first]) == ids
    assert max(len(run) for run in first.render_ids) <= IDS_PER_RUN
    assert len({r.run_key for r in first.run_requests}) == len(first.run_requests)
    assert first.warnings == []
    assert len(first.cursor) < 1024 + RECENT_IDS * 40, "the file's offset and the newest ids only"

    more = new_ids(3)
    with (inbox / "big.txt").open("ab") as handle:
        handle.write(lines(more))
    assert tick(SENSOR, instance, first.cursor).render_ids == [more]


@pytest.mark.parametrize(
    "head",
    [b"\x89PNG\r\n\x1a\n", b"A\x00", b"\xff\xfe", b""],
    ids=["png", "looks-utf16", "utf16-bom", "random"],
)
def test_a_binary_file_is_quarantined_once_and_blocks_nothing(
    inbox: Path, instance: dg.DagsterInstance, head: bytes
) -> None:
    """256 KiB of noise beside a file of ids: the ids run, the noise is set aside with one warning, and
    later ticks read new ids only, with no warning again."""
    noise = head + random.Random(7).randbytes(256 * 1024)
    (inbox / "upload.bin").write_bytes(noise)
    ids, later = new_ids(5), new_ids(2)
    drop_ids(inbox, ids)
    first = tick(SENSOR, instance)
    assert first.render_ids == [ids]
    assert len(first.warnings) == 1 and "upload.bin" in first.warnings[0], first.warnings
    (quarantined,) = (inbox / "quarantine").iterdir()
    assert quarantined.name.startswith("upload.bin.")
    assert quarantined.read_bytes(), "its complete lines; the rest waits for a newline"

    drop_ids(inbox, later)
    second = tick(SENSOR, instance, first.cursor)
    assert second.render_ids == [later] and second.warnings == []
    assert tick(SENSOR, instance, second.cursor).run_requests == []
    assert len(list((inbox / "quarantine").iterdir())) == 1


def test_files_deleted_while_the_sensor_reads_lose_and_repeat_nothing(
    inbox: Path, instance: dg.DagsterInstance
) -> None:
    """A real race: one thread appends ids to a day file in torn halves, another drops files and
    deletes them at once, while the sensor ticks without pause. Every tick answers, without a warning;
    every id of the day file runs exactly once; an id of a deleted file at most once; no fragment."""
    kept: list[str] = []
    doomed: list[str] = []
    done = threading.Event()

    def append_in_halves() -> None:
        for _ in range(12):
            batch = new_ids(RECENT_IDS + 44)  # more than the cursor remembers: a re-read would show
            path = append_ids(inbox, batch[:-1], "callback")
            with path.open("a") as handle:
                handle.write(batch[-1][:18])
                handle.flush()
                time.sleep(0.01)
                handle.write(batch[-1][18:] + "\n")
            kept.extend(batch)
            time.sleep(0.05)

    def drop_and_delete() -> None:
        while not done.is_set():
            batch = new_ids(40)
            doomed.extend(batch)
            path = drop_ids(inbox, batch, prefix="doomed")
            time.sleep(random.random() / 200)
            path.unlink()

    appender = threading.Thread(target=append_in_halves)
    deleter = threading.Thread(target=drop_and_delete)
    appender.start()
    deleter.start()
    try:
        ticks = [tick(SENSOR, instance)]
        while appender.is_alive() or len(ticks) < 150:  # enough looks to meet deletions mid-scan
            ticks.append(tick(SENSOR, instance, ticks[-1].cursor))
    finally:
        done.set()
        appender.join()
        deleter.join()
    ticks.append(tick(SENSOR, instance, ticks[-1].cursor))

    assert len(kept) == 12 * (RECENT_IDS + 44) and doomed, "both writers ran to the end"
    runs = requested(ticks)
    day_file = set(kept)
    assert [i for i in runs if i in day_file] == kept, "the day file: each id once, in order"
    assert max(Counter(runs).values()) == 1
    assert set(runs) <= day_file | set(doomed), "no fragment of a torn line"
    assert not (inbox / "quarantine").exists()
    assert all(json.loads(t.cursor) for t in ticks)
    assert [w for t in ticks for w in t.warnings] == [], "a file deleted mid-scan is simply gone"
