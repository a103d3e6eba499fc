"""The render inbox: a folder where any system drops files of Shotstack render ids, one per line."""

import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# use with fullmatch: `$` would let a trailing newline through
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# names a writer uses while a file is still being written
UNFINISHED_SUFFIXES = (".tmp", ".part")


@dataclass
class InboxScan:
    """What one look at the inbox found, and the cursor to keep if its run is requested."""

    new_ids: list[str] = field(default_factory=list)
    cursor: str = ""
    problems: list[str] = field(default_factory=list)


def scan(folder: Path, cursor: str | None) -> InboxScan:
    """New ids since the cursor; a partial last line or an unreadable file waits for a later look."""
    state = json.loads(cursor) if cursor else {"offsets": {}, "seen": []}
    offsets: dict[str, int] = state["offsets"]
    seen = set(state["seen"])
    result = InboxScan()
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    for path in files:
        if path.name.startswith(".") or path.name.endswith(UNFINISHED_SUFFIXES):
            continue
        start = offsets.get(path.name, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(start)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            text = complete.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            result.problems.append(f"{path.name}: {type(error).__name__}, will retry")
            continue
        for line in text.splitlines():
            render_id = line.strip().lower()
            if not render_id or render_id.startswith("#"):
                continue
            if not UUID.fullmatch(render_id):
                result.problems.append(f"{path.name}: {line.strip()[:40]!r} is not a render id, skipped")
            elif render_id not in seen:
                seen.add(render_id)
                result.new_ids.append(render_id)
        offsets[path.name] = start + len(complete)
    result.cursor = json.dumps({"offsets": offsets, "seen": sorted(seen)})
    return result


def drop_ids(folder: Path, ids: list[str], prefix: str = "ids") -> Path:
    """Write ids as one new file, atomically: readers never see it half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{prefix}-{uuid.uuid4().hex}.txt"
    temporary = final.with_suffix(".tmp")
    temporary.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    os.replace(temporary, final)
    return final
