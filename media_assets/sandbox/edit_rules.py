"""What POST /render accepts: an Edit held to the facts of Shotstack's OpenAPI document.

The real service validates every Edit against that document and answers 400; the sandbox must
do the same without ../shared (the quick start has no copy), so the document's rules for an Edit
are written out here: required fields, types, enums, number ranges, and unknown fields refused
wherever the document sets `additionalProperties: false`. Assets are checked by type, required
fields and field names; long enums of visual styles (transitions, easings) only as strings.
test_sandbox_edit_rules.py holds these rules to the document itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# a check yields what is wrong with a value found at a path such as "timeline.tracks[0]"
Rule = Callable[[Any, str], Iterator[str]]

# the sandbox's own bounds, beyond the document (which sets only a minimum of 0): a clip time
# past a day of timeline is a mistake, and one near 1e308 would overflow the render's duration;
# the deepest Edit the document describes nests about ten levels, and a render's edit is
# echoed back by every GET, which a body nested thousands deep would break
MAX_SECONDS = 86_400
MAX_DEPTH = 32

RESOLUTIONS = ("preview", "mobile", "sd", "hd", "1080", "4k")
POSITIONS = ("top", "topRight", "right", "bottomRight", "bottom", "bottomLeft", "left", "topLeft", "center")
CLIP_EFFECTS = tuple(
    f"{move}{pace}"
    for move in ("zoomIn", "zoomOut", "slideLeft", "slideRight", "slideUp", "slideDown")
    for pace in ("", "Slow", "Fast")
)
# asset type -> (its required fields besides `type`, its other fields), from the document's asset schemas
ASSET_FIELDS: dict[str, tuple[str, str]] = {
    "video": ("", "src prompt model options transcode trim volume volumeEffect speed crop chromaKey"),
    "image": ("", "src prompt model options crop"),
    "text": ("text", "alignment animation background ellipsis font height stroke width"),
    "rich-text": ("text", "align animation background border font padding shadow stroke style"),
    "audio": ("", "src prompt model options effect speed trim volume"),
    "luma": ("src", "trim"),
    "caption": ("src", "background font margin speed trim"),
    "rich-caption": ("src", "active align animation background border font padding shadow stroke style"),
    "html": ("html", "background css height position width"),
    "html5": ("html", "css js"),
    "title": ("text", "background color offset position size style"),
    "shape": ("shape", "circle fill height line rectangle stroke width"),
    "svg": ("src", ""),
    "text-to-image": ("prompt", "crop height width"),
    "image-to-video": ("src", "aspectRatio crop prompt speed"),
    "text-to-speech": ("text voice", "effect language newscaster speed trim volume"),
}


def _at(where: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{where}[{name}]"
    return f"{where}.{name}" if where else name


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def anything(value: Any, where: str) -> Iterator[str]:
    """Any JSON value (a merge field's `replace`, a tween's `from`)."""
    yield from ()


def number(minimum: float | None = None, maximum: float | None = None, integer: bool = False) -> Rule:
    """A JSON number (never a boolean), an integer if asked, within the bounds given."""

    def check(value: Any, where: str) -> Iterator[str]:
        if not _is_number(value) or (integer and not isinstance(value, int)):
            yield f"{where} must be {'an integer' if integer else 'a number'}"
        elif minimum is not None and value < minimum:
            yield f"{where} must be at least {minimum}"
        elif maximum is not None and value > maximum:
            yield f"{where} must be at most {maximum}"

    return check


def string(pattern: str | None = None) -> Rule:
    """A string, matching `pattern` if given."""

    def check(value: Any, where: str) -> Iterator[str]:
        if not isinstance(value, str):
            yield f"{where} must be a string"
        elif pattern is not None and not re.search(pattern, value):
            yield f"{where} must match {pattern}"

    return check


def boolean(value: Any, where: str) -> Iterator[str]:
    if not isinstance(value, bool):
        yield f"{where} must be true or false"


def enum(*values: Any) -> Rule:
    """One of `values`; a boolean never passes for a number, as in JSON Schema."""

    def check(value: Any, where: str) -> Iterator[str]:
        if isinstance(value, bool) or value not in values:
            yield f"{where} must be one of {', '.join(map(str, values))}"

    return check


def either(*rules: Rule, expected: str) -> Rule:
    """A value that passes any of `rules` (the document's oneOf)."""

    def check(value: Any, where: str) -> Iterator[str]:
        if all(any(True for _ in rule(value, where)) for rule in rules):
            yield f"{where} must be {expected}"

    return check


def array(item: Rule, min_items: int = 0) -> Rule:
    """A list of at least `min_items` items, each passing `item`."""

    def check(value: Any, where: str) -> Iterator[str]:
        if not isinstance(value, list):
            yield f"{where} must be an array"
            return
        if len(value) < min_items:
            yield f"{where} must hold at least {min_items} item(s)"
        for index, element in enumerate(value):
            yield from item(element, _at(where, index))

    return check


def obj(fields: Mapping[str, Rule], required: tuple[str, ...] = (), closed: bool = True) -> Rule:
    """An object with `required` fields; unknown fields are refused when `closed`."""

    def check(value: Any, where: str) -> Iterator[str]:
        if not isinstance(value, dict):
            yield f"{where or 'the Edit'} must be an object"
            return
        yield from (f"{_at(where, name)} is required" for name in required if name not in value)
        for name, field in value.items():
            rule = fields.get(name)
            if rule is not None:
                yield from rule(field, _at(where, name))
            elif closed:
                yield f"{_at(where, name)} is not allowed"

    return check


def asset(value: Any, where: str) -> Iterator[str]:
    """An asset: a known `type`, that type's required fields, and only its own field names."""
    if not isinstance(value, dict):
        yield f"{where} must be an object"
        return
    kind = value.get("type")
    if kind not in ASSET_FIELDS:
        yield f"{_at(where, 'type')} must be one of {', '.join(ASSET_FIELDS)}"
        return
    required, optional = (names.split() for names in ASSET_FIELDS[kind])
    fields = dict.fromkeys(("type", *required, *optional), anything)
    yield from obj(fields, tuple(required))(value, where)


SECONDS = number(0, MAX_SECONDS)
TWEENS = array(
    obj(
        {
            "from": anything,
            "to": anything,
            "start": number(),
            "length": number(),
            "interpolation": enum("linear", "bezier", "constant"),
            "easing": string(),
        }
    )
)
ANY_OBJECT = obj({}, closed=False)

CLIP = obj(
    {
        "id": string(),
        "asset": asset,
        "start": either(
            SECONDS,
            string(r"^(auto|alias://[A-Za-z0-9_-]+)$"),
            expected=f"seconds from 0 to {MAX_SECONDS}, 'auto' or 'alias://<name>'",
        ),
        "length": either(
            SECONDS,
            string(r"^(auto|end|alias://[A-Za-z0-9_-]+)$"),
            expected=f"seconds from 0 to {MAX_SECONDS}, 'auto', 'end' or 'alias://<name>'",
        ),
        "fit": enum("cover", "contain", "crop", "none"),
        "scale": either(number(), TWEENS, expected="a number or an array of tweens"),
        "width": number(1, 3840),
        "height": number(1, 2160),
        "position": enum(*POSITIONS),
        "offset": obj(
            {
                axis: either(
                    number(-10, 10), TWEENS, expected="a number from -10 to 10 or an array of tweens"
                )
                for axis in ("x", "y")
            }
        ),
        "transition": obj({"in": string(), "out": string()}),
        "effect": enum(*CLIP_EFFECTS),
        "filter": enum(
            "none", "blur", "boost", "contrast", "darken", "greyscale", "lighten", "muted", "negative"
        ),
        "opacity": either(number(), TWEENS, expected="a number or an array of tweens"),
        "transform": obj({"rotate": ANY_OBJECT, "skew": ANY_OBJECT, "flip": ANY_OBJECT}),
        "alias": string(r"^[A-Za-z0-9_-]+$"),
    },
    required=("asset", "start", "length"),
)

TIMELINE = obj(
    {
        "soundtrack": obj(
            {"src": string(r"\S"), "effect": enum("fadeIn", "fadeOut", "fadeInFadeOut"), "volume": number()},
            required=("src",),
        ),
        "background": string(),
        "fonts": array(obj({"src": string()}, required=("src",))),
        "tracks": array(obj({"clips": array(CLIP, min_items=1)}, required=("clips",)), min_items=1),
        "cache": boolean,
    },
    required=("tracks",),
)

OUTPUT = obj(
    {
        "format": enum("mp4", "gif", "mp3", "jpg", "png", "bmp"),
        "resolution": enum(*RESOLUTIONS),
        "aspectRatio": enum("16:9", "9:16", "1:1", "4:5", "4:3"),
        "size": obj({side: number(1, 4096, integer=True) for side in ("width", "height")}),
        "fps": enum(12, 15, 23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60),
        "scaleTo": enum(*RESOLUTIONS),
        "quality": enum("verylow", "low", "medium", "high", "veryhigh"),
        "repeat": boolean,
        "mute": boolean,
        "range": obj({"start": number(0), "length": number(0)}),
        "poster": obj({"capture": number()}, required=("capture",)),
        "thumbnail": obj({"capture": number(), "scale": number(0, 1)}, required=("capture", "scale")),
        "destinations": array(obj({"provider": string()}, required=("provider",), closed=False)),
    },
    required=("format",),
)

EDIT = obj(
    {
        "timeline": TIMELINE,
        "output": OUTPUT,
        "merge": array(obj({"find": string(), "replace": anything}, required=("find", "replace"))),
        "callback": string(),
        "disk": enum("local", "mount"),
        "instance": enum("s1", "s2", "a1"),
    },
    required=("timeline", "output"),
)


def json_problems(body: Any) -> Iterator[str]:
    """What no answer could carry anywhere in `body`: nesting beyond MAX_DEPTH, or a number that
    is not finite (Python reads 1e400 as infinity). Walked with a stack, not recursion, so that
    no depth can exhaust it."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            yield "numbers must be finite"
            return
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                yield f"the body must not nest deeper than {MAX_DEPTH} levels"
                return
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)


def edit_problems(body: Any) -> list[str]:
    """Everything wrong with `body` as an Edit: first what no JSON answer could carry, then
    what the document refuses; empty when it is valid."""
    return list(json_problems(body)) or list(EDIT(body, ""))
