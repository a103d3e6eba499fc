"""The render inbox: a folder where any system drops files of Shotstack render ids, one per line."""

import fcntl
import hashlib
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .inbox_cursor import Cursor, Position, mark
from .inbox_text import HEAD_BYTES, Line, complete_lines, detect

# use with fullmatch: `$` would let a trailing newline through
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# names a writer uses while a file is still being written
UNFINISHED_SUFFIXES = (".tmp", ".part")
# lines that are not render ids are set aside here, inside the inbox, where the scan never looks
QUARANTINE = "quarantine"


@dataclass
class Rejected:
    """Lines of one file that are not render ids (or not text), as stored, bound for quarantine."""

    name: str
    start: int  # the byte the read began at
    lines: int
    data: bytes  # the file's byte order mark, if any, then the lines


@dataclass
class InboxScan:
    """What one look at the inbox found, and the cursor to keep if its run is requested."""

    new_ids: list[str] = field(default_factory=list)
    cursor: str = ""
    problems: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


@dataclass
class _Read:
    start: int  # the byte the read began at
    bom: bytes
    lines: list[Line]
    position: Position  # just past the last complete line


def _read_new(path: Path, previous: Position | None) -> _Read:
    """The complete lines after `previous`, or from the start when the file is not the one read before."""
    with path.open("rb") as handle:
        encoding = detect(handle.read(HEAD_BYTES))
        size = os.fstat(handle.fileno()).st_size
        start = max(previous.resume(handle, size) if previous else 0, len(encoding.bom))
        if (start - len(encoding.bom)) % len(encoding.newline):  # mid-character: an offset from before
            start = len(encoding.bom)  # read it whole: runs skip renders already settled
        handle.seek(start)
        lines = list(complete_lines(handle.read(), encoding))
        at = start + (lines[-1].end if lines else 0)
        return _Read(start, encoding.bom, lines, Position(at, mark(handle, at)))


def _render_id(line: Line) -> str | None:
    """The line's render id, "" for a blank or comment line, None for anything else."""
    text = None if line.text is None else line.text.strip()
    if text is None:
        return None
    if not text or text.startswith("#"):
        return ""
    return text.lower() if UUID.fullmatch(text) else None


def scan(folder: Path, cursor: str | None) -> InboxScan:
    """New ids since the cursor; a partial last line, or a file that cannot be opened, waits for a later look.

    A file written anew under a name already read is read from its start. The cursor keeps only
    files still there. Writes nothing: lines that are not render ids come back in `rejected`, for
    `quarantine`.
    """
    state = Cursor.load(cursor)
    result = InboxScan(cursor=state.dump())
    if not folder.is_dir():  # not there (yet, or for a moment): forget nothing
        return result
    previous, state.files = state.files, {}
    found: set[str] = set()  # this look's ids, however many: the cursor keeps only the recent ones
    for path in sorted(p for p in folder.glob("*") if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(UNFINISHED_SUFFIXES):
            continue
        try:
            read = _read_new(path, previous.get(path.name))
        except OSError as error:
            if not isinstance(error, FileNotFoundError):  # deleted since the listing: nothing to say
                result.problems.append(f"{path.name}: {type(error).__name__}, will retry")
            if path.name in previous:
                state.files[path.name] = previous[path.name]
            continue
        state.files[path.name] = read.position
        bad = []
        for line in read.lines:
            render_id = _render_id(line)
            if render_id is None:
                bad.append(line.raw)
            elif render_id and render_id not in found and render_id not in state.recent:
                found.add(render_id)
                state.remember(render_id)
                result.new_ids.append(render_id)
        if bad:
            result.rejected.append(Rejected(path.name, read.start, len(bad), read.bom + b"".join(bad)))
    result.cursor = state.dump()
    return result


def quarantine(folder: Path, rejected: list[Rejected]) -> list[str]:
    """Copy rejected lines to `<folder>/quarantine/`, one file per read, and say where each went.

    The source file stays where it is (a writer may still be appending to it); the cursor has moved
    past the lines. The name holds a hash of the lines, so a read that is repeated writes nothing new.
    """
    notes = []
    for item in rejected:
        digest = hashlib.sha1(item.data).hexdigest()[:8]
        target = folder / QUARANTINE / f"{item.name}.{item.start}-{digest}"
        what = f"{item.name}: {item.lines} line(s) read from byte {item.start} are not render ids"
        try:
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(target.name + ".tmp")
                temporary.write_bytes(item.data)
                os.replace(temporary, target)
        except OSError as error:
            notes.append(f"{what}; they could not be copied to {target} ({error}) and stay in the file only")
            continue
        notes.append(f"{what}; copied to {target} and skipped. The file's render ids were read.")
    return notes


def drop_ids(folder: Path, ids: list[str], prefix: str = "ids") -> Path:
    """Write ids as one new file, atomically: readers never see it half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{prefix}-{uuid.uuid4().hex}.txt"
    temporary = final.with_suffix(".tmp")
    temporary.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    os.replace(temporary, final)
    return final


def append_ids(folder: Path, ids: list[str], prefix: str) -> Path:
    """Append ids to today's `<prefix>-YYYY-MM-DD.txt`: one file a day, however many ids arrive.

    The sensor's cursor holds an entry per file, so a file per id would grow it with every id. Each
    call appends whole lines under an exclusive lock on the file, so appenders in other threads or
    processes wait even when the kernel stores a write in pieces; readers take only lines that end
    in a newline, so they never see half an id. A file a dead writer left without its last newline
    gets one first, so that the partial line cannot swallow the next id.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{prefix}-{datetime.now(UTC):%Y-%m-%d}.txt"
    data = "".join(f"{i}\n" for i in ids).encode()
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor is closed
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data
        while data:
            data = data[os.write(descriptor, data) :]
    finally:
        os.close(descriptor)
    return path
