"""How an inbox file's bytes become lines: the encoding its first bytes announce, complete lines only.

Each line is decoded on its own, so one bad byte costs its line, not the file.
"""

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

# enough of a file's start to recognise any of the byte order marks below
HEAD_BYTES = 4


@dataclass(frozen=True)
class Encoding:
    """A file's codec and the byte order mark it starts with (skipped, never read as text)."""

    codec: str
    bom: bytes = b""

    @property
    def newline(self) -> bytes:
        return "\n".encode(self.codec)


UTF8 = Encoding("utf-8")
_MARKED = (
    Encoding("utf-8", codecs.BOM_UTF8),
    Encoding("utf-16-le", codecs.BOM_UTF16_LE),
    Encoding("utf-16-be", codecs.BOM_UTF16_BE),
)


def detect(head: bytes) -> Encoding:
    """The encoding of a file that starts with `head`; UTF-8 unless it says or shows otherwise.

    Render ids are ASCII, so UTF-16 written without a BOM shows as a NUL beside the first character.
    """
    for encoding in _MARKED:
        if head.startswith(encoding.bom):
            return encoding
    if len(head) >= 2 and head[0] and not head[1]:
        return Encoding("utf-16-le")
    if len(head) >= 2 and not head[0] and head[1]:
        return Encoding("utf-16-be")
    return UTF8


@dataclass(frozen=True)
class Line:
    end: int  # just past its newline, counted from the start of the chunk
    raw: bytes  # as stored, newline included
    text: str | None  # None when the bytes do not decode


def complete_lines(chunk: bytes, encoding: Encoding) -> Iterator[Line]:
    """Each line of `chunk` that ends in a newline; a partial last line waits for a later read.

    `chunk` starts on a line boundary, so UTF-16's two-byte units line up with its start.
    """
    newline = encoding.newline
    width = len(newline)
    start = 0
    found = chunk.find(newline)
    while found != -1:
        if found % width:  # the newline's bytes straddle two UTF-16 units: not a newline
            found = chunk.find(newline, found + 1)
            continue
        end = found + width
        raw = chunk[start:end]
        try:
            text: str | None = raw[:-width].decode(encoding.codec)
        except UnicodeDecodeError:
            text = None
        yield Line(end, raw, text)
        start = end
        found = chunk.find(newline, start)
