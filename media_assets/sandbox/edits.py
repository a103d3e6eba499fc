"""What an Edit implies for its render: output length, and which working statuses it passes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# every working status in the spec's order; `done` and `failed` follow
RENDER_STAGES = ("queued", "fetching", "preprocessing", "rendering", "generating", "saving")
# asset types the spec marks as AI generators (deprecated aliases of assets with a `prompt`)
AI_TYPES = ("text-to-image", "image-to-video", "text-to-speech")
VIDEO_TYPES = ("video", "image-to-video")


def _clips(edit: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for track in edit.get("timeline", {}).get("tracks", []):
        yield from track.get("clips", [])


def edit_duration(edit: dict[str, Any]) -> float:
    """Seconds of output: the latest numeric clip end (start + length) over all tracks."""
    ends = [0.0]
    for clip in _clips(edit):
        start, length = clip.get("start"), clip.get("length")
        if isinstance(start, int | float) and isinstance(length, int | float):
            ends.append(float(start) + float(length))
    return round(max(ends), 2)


def render_stages(edit: dict[str, Any]) -> tuple[str, ...]:
    """The working statuses a render of `edit` shows, in order.

    The spec gives `preprocessing` to video assets ("processed for compatibility") and
    `generating` to AI generation (a `prompt`, or an AI asset type), so an edit without
    them skips those statuses instead of reporting work it never does.
    """
    assets = [clip.get("asset") or {} for clip in _clips(edit)]
    has_video = any(a.get("type") in VIDEO_TYPES for a in assets)
    has_ai = any(a.get("type") in AI_TYPES or isinstance(a.get("prompt"), str) for a in assets)
    skipped = {"preprocessing": not has_video, "generating": not has_ai}
    return tuple(s for s in RENDER_STAGES if not skipped.get(s, False))
