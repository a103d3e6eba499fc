"""POST /render holds an Edit to Shotstack's OpenAPI document: the sandbox's own rules
(sandbox/edit_rules.py) judge a set of bodies as the document does, answering 400 when it refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from media_assets.sandbox import Sandbox
from media_assets.sandbox.edit_rules import ASSET_FIELDS
from media_assets_tests.helpers.sandbox_world import SHOTSTACK_HEADERS, edit, serving
from media_assets_tests.helpers.shotstack_spec import load_spec, validator_for

Body = Any  # an Edit, or what a client sent instead


def changed(change: Callable[[Body], Any]) -> Body:
    """The helper's valid edit with `change` applied to a copy."""
    body = copy.deepcopy(edit())
    change(body)
    return body


def clip(body: Body) -> Body:
    """The first clip of `body`."""
    return body["timeline"]["tracks"][0]["clips"][0]


# the document accepts each of these, and so must the sandbox (201)
VALID: dict[str, Body] = {
    "minimal": edit(),
    "mp3 without resolution": changed(lambda b: b.update(output={"format": "mp3"})),
    "smart clip times": changed(lambda b: clip(b).update(start="auto", length="end")),
    "alias times": changed(lambda b: clip(b).update(start="alias://intro", length="alias://intro")),
    "thumbnail with scale": changed(lambda b: b["output"].update(thumbnail={"capture": 1, "scale": 0.3})),
    "every output field": changed(
        lambda b: b["output"].update(
            format="gif",
            resolution="hd",
            aspectRatio="9:16",
            fps=29.97,
            scaleTo="preview",
            quality="high",
            repeat=True,
            mute=False,
            range={"start": 1, "length": 2.5},
            destinations=[{"provider": "shotstack", "exclude": True}],
        )
    ),
    "custom size": changed(
        lambda b: b.update(output={"format": "png", "size": {"width": 800, "height": 600}})
    ),
    "merge, callback and instance": changed(
        lambda b: b.update(
            merge=[{"find": "NAME", "replace": {"any": ["json", 1]}}],
            callback="https://x.test/hook",
            instance="a1",
        )
    ),
    "timeline extras": changed(
        lambda b: b["timeline"].update(
            background="#000000",
            fonts=[{"src": "https://x.test/f.ttf"}],
            soundtrack={"src": "https://x.test/m.mp3", "effect": "fadeIn", "volume": 0.5},
            cache=False,
        )
    ),
    "clip extras": changed(
        lambda b: clip(b).update(
            fit="contain",
            scale=0.5,
            position="topLeft",
            offset={"x": 0.1, "y": [{"from": 0, "to": 1, "start": 0, "length": 1}]},
            transition={"in": "fade", "out": "fade"},
            effect="zoomIn",
            filter="greyscale",
            opacity=[{"from": 0, "to": 1, "start": 0, "length": 1, "interpolation": "bezier"}],
            width=640,
            height=360,
            alias="intro",
        )
    ),
    "several asset types": changed(
        lambda b: b["timeline"]["tracks"].append(
            {
                "clips": [
                    {"asset": {"type": "title", "text": "Hi", "style": "minimal"}, "start": 0, "length": 1},
                    {"asset": {"type": "image", "prompt": "a fox"}, "start": 1, "length": 1},
                    {
                        "asset": {"type": "text-to-speech", "text": "hi", "voice": "Matthew"},
                        "start": 2,
                        "length": 1,
                    },
                    {"asset": {"type": "html", "html": "<p>x</p>"}, "start": 3, "length": 1},
                ]
            }
        )
    ),
}

# the document refuses each of these, and so must the sandbox (400)
INVALID: dict[str, Body] = {
    "not an object": ["timeline"],
    "no output": changed(lambda b: b.pop("output")),
    "unknown field": changed(lambda b: b.update(timline={})),
    "timeline a string": changed(lambda b: b.update(timeline="t")),
    "empty timeline": changed(lambda b: b.update(timeline={})),
    "no tracks in the list": changed(lambda b: b["timeline"].update(tracks=[])),
    "tracks a string": changed(lambda b: b["timeline"].update(tracks="abc")),
    "tracks of strings": changed(lambda b: b["timeline"].update(tracks=["a", "b"])),
    "track without clips": changed(lambda b: b["timeline"].update(tracks=[{}])),
    "clips empty": changed(lambda b: b["timeline"]["tracks"][0].update(clips=[])),
    "clip a string": changed(lambda b: b["timeline"]["tracks"][0].update(clips=["clip"])),
    "clip without start": changed(lambda b: clip(b).pop("start")),
    "clip without asset": changed(lambda b: clip(b).pop("asset")),
    "start negative": changed(lambda b: clip(b).update(start=-1)),
    "start a word": changed(lambda b: clip(b).update(start="soon")),
    "start a boolean": changed(lambda b: clip(b).update(start=True)),
    "length with a unit": changed(lambda b: clip(b).update(length="5s")),
    "length end is not a start": changed(lambda b: clip(b).update(start="end")),
    "clip fit unknown": changed(lambda b: clip(b).update(fit="stretch")),
    "clip alias with a space": changed(lambda b: clip(b).update(alias="my clip")),
    "clip opacity a string": changed(lambda b: clip(b).update(opacity="half")),
    "clip offset out of range": changed(lambda b: clip(b).update(offset={"x": 11})),
    "asset a string": changed(lambda b: clip(b).update(asset="video.mp4")),
    "asset without type": changed(lambda b: clip(b)["asset"].pop("type")),
    "asset type unknown": changed(lambda b: clip(b)["asset"].update(type="hologram")),
    "title without text": changed(lambda b: clip(b).update(asset={"type": "title"})),
    "asset field unknown": changed(lambda b: clip(b)["asset"].update(url="https://x.test")),
    "output a string": changed(lambda b: b.update(output="mp4")),
    "output without format": changed(lambda b: b["output"].pop("format")),
    "format exe": changed(lambda b: b["output"].update(format="exe")),
    "resolution 8k": changed(lambda b: b["output"].update(resolution="8k")),
    "aspect ratio 2:1": changed(lambda b: b["output"].update(aspectRatio="2:1")),
    "fps 26": changed(lambda b: b["output"].update(fps=26)),
    "quality ultra": changed(lambda b: b["output"].update(quality="ultra")),
    "mute a string": changed(lambda b: b["output"].update(mute="yes")),
    "thumbnail without scale": changed(lambda b: b["output"].update(thumbnail={"capture": 1})),
    "thumbnail scale above 1": changed(lambda b: b["output"].update(thumbnail={"capture": 1, "scale": 2})),
    "poster without capture": changed(lambda b: b["output"].update(poster={})),
    "poster a string": changed(lambda b: b["output"].update(poster="1")),
    "size width zero": changed(lambda b: b["output"].update(size={"width": 0, "height": 600})),
    "size width a fraction": changed(lambda b: b["output"].update(size={"width": 800.5, "height": 600})),
    "range negative": changed(lambda b: b["output"].update(range={"start": -1})),
    "destination without provider": changed(lambda b: b["output"].update(destinations=[{}])),
    "merge an object": changed(lambda b: b.update(merge={"find": "A", "replace": "B"})),
    "merge without replace": changed(lambda b: b.update(merge=[{"find": "A"}])),
    "callback a number": changed(lambda b: b.update(callback=42)),
    "disk ssd": changed(lambda b: b.update(disk="ssd")),
    "font without src": changed(lambda b: b["timeline"].update(fonts=[{}])),
}


def nested(depth: int) -> Any:
    """A list nested `depth` levels deep."""
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


# the document accepts these, but the sandbox sets bounds of its own (400): clip times past a
# day, which near 1e308 would overflow the render's duration, and nesting no Edit needs
STRICTER: dict[str, Body] = {
    "start 1e308": changed(lambda b: clip(b).update(start=1e308)),
    "length 1e308": changed(lambda b: clip(b).update(length=1e308)),
    "start past a day": changed(lambda b: clip(b).update(start=86_401)),
    "merge value nested 40 deep": changed(lambda b: b.update(merge=[{"find": "A", "replace": nested(40)}])),
}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One sandbox for the module, its rate limits raised: these tests post hundreds of edits."""
    with serving(rate_limit_scale=100) as served:
        yield served


def post_render(sb: Sandbox, body: Any) -> requests.Response:
    url = f"{sb.shotstack_base_url}/edit/v1/render"
    return requests.post(url, data=json.dumps(body), headers=SHOTSTACK_HEADERS, timeout=5)


def is_edit_error(response: requests.Response) -> bool:
    """Shotstack's Edit error envelope: success false, the reason, and a message as `response`."""
    body = response.json()
    return (
        response.status_code == 400
        and body["success"] is False
        and body["message"] == "Bad Request"
        and isinstance(body["response"], str)
        and body["response"] != ""
    )


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_post_render_accepts_what_the_document_accepts(sb: Sandbox, body: Body) -> None:
    response = post_render(sb, body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("body", [*INVALID.values(), *STRICTER.values()], ids=[*INVALID, *STRICTER])
def test_post_render_refuses_invalid_edits_with_400(sb: Sandbox, body: Body) -> None:
    """A refused Edit gets the Edit API's error envelope, and no render is queued."""
    renders = len(sb.world.renders)
    response = post_render(sb, body)
    assert is_edit_error(response), response.text
    assert len(sb.world.renders) == renders


def test_the_document_judges_each_body_as_listed() -> None:
    """The lists above are the document's verdicts, not ours: it accepts VALID and STRICTER and
    refuses every INVALID body, so the sandbox's rules agree with it wherever they are tested."""
    validator = validator_for(load_spec(), "/components/schemas/Edit")
    refused = {
        name for name, body in {**VALID, **INVALID, **STRICTER}.items() if not validator.is_valid(body)
    }
    assert refused == set(INVALID)


def test_asset_fields_are_the_documents() -> None:
    """Each asset type's required and allowed fields in the rules are those of its schema."""
    schemas = load_spec()["components"]["schemas"]
    mapping = schemas["Asset"]["discriminator"]["mapping"]
    assert set(ASSET_FIELDS) == set(mapping)
    for kind, ref in mapping.items():
        schema = schemas[ref.split("/")[-1]]
        required, optional = (names.split() for names in ASSET_FIELDS[kind])
        assert {"type", *required} == set(schema["required"]), kind
        assert {"type", *required, *optional} == set(schema["properties"]), kind


# where the document lists the values of a field: (schema, field) -> how to set it in an edit
ENUMS: dict[tuple[str, str], Callable[[Body, Any], Any]] = {
    ("Output", "format"): lambda b, v: b["output"].update(format=v),
    ("Output", "resolution"): lambda b, v: b["output"].update(resolution=v),
    ("Output", "aspectRatio"): lambda b, v: b["output"].update(aspectRatio=v),
    ("Output", "fps"): lambda b, v: b["output"].update(fps=v),
    ("Output", "scaleTo"): lambda b, v: b["output"].update(scaleTo=v),
    ("Output", "quality"): lambda b, v: b["output"].update(quality=v),
    ("Clip", "fit"): lambda b, v: clip(b).update(fit=v),
    ("Clip", "position"): lambda b, v: clip(b).update(position=v),
    ("Clip", "effect"): lambda b, v: clip(b).update(effect=v),
    ("Clip", "filter"): lambda b, v: clip(b).update(filter=v),
    ("Edit", "disk"): lambda b, v: b.update(disk=v),
    ("Edit", "instance"): lambda b, v: b.update(instance=v),
    ("Soundtrack", "effect"): lambda b, v: b["timeline"].update(
        soundtrack={"src": "https://x.test/a.mp3", "effect": v}
    ),
    ("Tween", "interpolation"): lambda b, v: clip(b).update(
        opacity=[{"from": 0, "to": 1, "interpolation": v}]
    ),
}


def test_every_listed_value_is_accepted_and_no_other(sb: Sandbox) -> None:
    """Every value the document lists for a field is a 201, and a value it does not list a 400."""
    spec = load_spec()
    schemas = spec["components"]["schemas"]
    validator = validator_for(spec, "/components/schemas/Edit")
    verdicts = []
    for (schema, field), put in ENUMS.items():
        listed = schemas[schema]["properties"][field]["enum"]
        for value in [*listed, "not-listed"]:
            body = changed(lambda b, value=value, put=put: put(b, value))
            expected = 201 if value in listed else 400
            assert validator.is_valid(body) == (expected == 201), (schema, field, value)
            verdicts.append((schema, field, value, post_render(sb, body).status_code, expected))
    assert [v for v in verdicts if v[3] != v[4]] == []


VALID_TEXT = json.dumps(edit())
# request bodies that once were queued (or crashed the handler) and then made answers fail
BREAKING: dict[str, str] = {
    "tracks as strings": VALID_TEXT.replace('[{"clips"', '["a", {"clips"'),
    "start 1e308": VALID_TEXT.replace('"start": 2', '"start": 1e308'),
    "start 1e400, read as infinity": VALID_TEXT.replace('"start": 2', '"start": 1e400'),
    "NaN, which JSON does not have": VALID_TEXT.replace('"start": 2', '"start": NaN'),
    "infinity where any value goes": VALID_TEXT[:-1] + ', "merge": [{"find": "A", "replace": -1e999}]}',
    "nested 100000 deep": "[" * 100_000 + "]" * 100_000,
    "nested 100000 deep in an Edit": VALID_TEXT[:-1] + ', "merge": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


@pytest.mark.parametrize("text", BREAKING.values(), ids=BREAKING.keys())
def test_bodies_that_broke_later_answers_are_refused(sb: Sandbox, text: str) -> None:
    """Each is a 400 in the Edit error shape, never a 500, and queues nothing: every render
    still answers, with its edit and merged."""
    renders = len(sb.world.renders)
    url = f"{sb.shotstack_base_url}/edit/v1/render"
    response = requests.post(url, data=text, headers=SHOTSTACK_HEADERS, timeout=5)
    assert is_edit_error(response), response.text
    assert len(sb.world.renders) == renders
    for rid in sb.world.render_ids("v1"):
        answer = requests.get(f"{url}/{rid}?merged=true", headers=SHOTSTACK_HEADERS, timeout=5)
        assert answer.status_code == 200, answer.text
