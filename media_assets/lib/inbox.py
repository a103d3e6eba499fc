"""The render inbox: a folder where any system drops files of Shotstack render ids, one per line."""

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .inbox_text import HEAD_BYTES, complete_lines, detect

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


def scan(folder: Path, cursor: str | None) -> InboxScan:
    """New ids since the cursor; a partial last line, or a file that cannot be opened, waits for a later look.

    Writes nothing: lines that are not render ids come back in `rejected`, for `quarantine`.
    """
    state = json.loads(cursor) if cursor else {"offsets": {}, "seen": []}
    offsets: dict[str, int] = state["offsets"]
    seen = set(state["seen"])
    result = InboxScan()
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        if path.name.startswith(".") or path.name.endswith(UNFINISHED_SUFFIXES):
            continue
        try:
            with path.open("rb") as handle:
                encoding = detect(handle.read(HEAD_BYTES))
                start = max(offsets.get(path.name, 0), len(encoding.bom))
                handle.seek(start)
                chunk = handle.read()
        except OSError as error:
            result.problems.append(f"{path.name}: {type(error).__name__}, will retry")
            continue
        consumed, bad, bad_lines = 0, b"", 0
        for line in complete_lines(chunk, encoding):
            consumed = line.end
            text = None if line.text is None else line.text.strip()
            if text == "" or (text and text.startswith("#")):
                continue
            if text is None or not UUID.fullmatch(text):
                bad, bad_lines = bad + line.raw, bad_lines + 1
            elif text.lower() not in seen:
                seen.add(text.lower())
                result.new_ids.append(text.lower())
        if bad:
            result.rejected.append(Rejected(path.name, start, bad_lines, encoding.bom + bad))
        offsets[path.name] = start + consumed
    result.cursor = json.dumps({"offsets": offsets, "seen": sorted(seen)})
    return result


def quarantine(folder: Path, rejected: list[Rejected]) -> list[str]:
    """Copy rejected lines to `<folder>/quarantine/`, one file per read, and say where each went.

    The source file stays where it is (a writer may still be appending to it); the cursor has moved
    past the lines. The name holds a hash of the lines, so a read that is repeated writes nothing new.
    """
    notes = []
    for item in rejected:
        target = folder / QUARANTINE / f"{item.name}.{item.start}-{hashlib.sha1(item.data).hexdigest()[:8]}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(target.name + ".tmp")
            temporary.write_bytes(item.data)
            os.replace(temporary, target)
        notes.append(
            f"{item.name}: {item.lines} line(s) from byte {item.start} are not render ids; "
            f"moved to {target}. The file's other lines were read."
        )
    return notes


def drop_ids(folder: Path, ids: list[str], prefix: str = "ids") -> Path:
    """Write ids as one new file, atomically: readers never see it half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{prefix}-{uuid.uuid4().hex}.txt"
    temporary = final.with_suffix(".tmp")
    temporary.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    os.replace(temporary, final)
    return final
