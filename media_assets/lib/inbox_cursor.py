"""The inbox sensor's cursor: how far each file was read, and how to tell it from a new file of that name."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import BinaryIO

# a file's first and last bytes before its read position, hashed: a new file under an old name
# differs there, while one rewritten with lines added (in place or by atomic replace) does not
MARK_BYTES = 4096
# ids requested lately, so one sent twice in a row (a repeated callback) starts no second run. Older
# ids are not kept: the cursor must not grow with every id ever seen, and a run skips renders already
# done or failed without asking Shotstack, so an old id dropped again costs a run, not a lookup.
RECENT_IDS = 256


def mark(handle: BinaryIO, at: int) -> str:
    """A hash of the first and the last MARK_BYTES of what was read (bytes 0 to `at`)."""
    digest = hashlib.sha1()
    handle.seek(0)
    digest.update(handle.read(min(at, MARK_BYTES)))
    tail = max(0, at - MARK_BYTES)
    handle.seek(tail)
    digest.update(handle.read(at - tail))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Position:
    """How far one file was read, and the mark of what was read."""

    at: int
    mark: str | None = None  # None in cursors written before marks existed: the offset is trusted

    def resume(self, handle: BinaryIO, size: int) -> int:
        """Where to go on reading: here if the file is the one read before, else from its start."""
        if size < self.at:
            return 0
        if self.mark is not None and mark(handle, self.at) != self.mark:
            return 0
        return self.at


@dataclass
class Cursor:
    """Its size grows with the files in the inbox, never with the ids they hold."""

    files: dict[str, Position] = field(default_factory=dict)
    recent: dict[str, None] = field(default_factory=dict)  # oldest first

    @classmethod
    def load(cls, text: str | None) -> "Cursor":
        """A cursor from its JSON; one of an older form (bare offsets, every id seen) keeps its offsets."""
        if not text:
            return cls()
        state = json.loads(text)
        if "offsets" in state:
            files = {name: Position(at) for name, at in state["offsets"].items()}
        else:
            files = {name: Position(**entry) for name, entry in state["files"].items()}
        recent = state.get("recent", state.get("seen", []))[-RECENT_IDS:]
        return cls(files, dict.fromkeys(recent))

    def remember(self, render_id: str) -> None:
        self.recent[render_id] = None
        while len(self.recent) > RECENT_IDS:
            del self.recent[next(iter(self.recent))]

    def dump(self) -> str:
        files = {name: {"at": p.at, "mark": p.mark} for name, p in self.files.items()}
        return json.dumps({"files": files, "recent": list(self.recent)})
