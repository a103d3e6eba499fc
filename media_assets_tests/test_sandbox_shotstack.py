"""The sandbox's Shotstack emulation over HTTP: auth, versions, ids, render lifecycle, callbacks."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
import requests

from media_assets.sandbox import Fault, HostedAsset, Render, Sandbox
from media_assets.sandbox.webhooks import CallbackNotifier
from media_assets_tests.helpers.sandbox_world import (
    DONE_ID,
    FAILED_ID,
    NOW,
    PENDING_ID,
    POSTER_ID,
    SHOTSTACK_HEADERS,
    STAGE_ID,
    STAGE_VIDEO_ID,
    VIDEO_ID,
    edit,
    hand_world,
    serving,
)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with serving() as served:
        yield served


def get(sb: Sandbox, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET a Shotstack path with the valid key unless other headers are given."""
    url = f"{sb.shotstack_base_url}{path}"
    return requests.get(url, headers=SHOTSTACK_HEADERS if headers is None else headers, timeout=5)


def post_render(sb: Sandbox, body: Any, version: str = "v1") -> requests.Response:
    url = f"{sb.shotstack_base_url}/edit/{version}/render"
    return requests.post(url, data=json.dumps(body), headers=SHOTSTACK_HEADERS, timeout=5)


def test_key_missing_401_wrong_403_version_404(sb: Sandbox) -> None:
    """No key is 401, a wrong key 403 (gateway bodies); a version other than v1/stage is 404;
    a wrong method gets a JSON gateway body too."""
    missing = get(sb, "/edit/v1/templates", {})
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    wrong = get(sb, "/serve/stage/assets/render/" + DONE_ID, {"x-api-key": "nope"})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Forbidden"})
    assert get(sb, "/ingest/v2/sources").status_code == 404
    unrouted = requests.delete(f"{sb.shotstack_base_url}/edit/v1/templates", timeout=5)
    assert (unrouted.status_code, unrouted.json()) == (405, {"message": "Method Not Allowed"})


def test_render_status_follows_clock(sb: Sandbox) -> None:
    """A video render ready in 60 s walks the documented stages (no AI, so no `generating`),
    then is done with url and poster."""
    seen = []
    for _ in range(6):
        body = get(sb, f"/edit/v1/render/{PENDING_ID}").json()["response"]
        seen.append(body["status"])
        if body["status"] != "done":
            assert "url" not in body and "error" not in body
        sb.clock.advance(12)
    assert seen == ["queued", "fetching", "preprocessing", "rendering", "saving", "done"]
    assert body["url"].endswith(f"/{PENDING_ID}.mp4")
    assert body["duration"] == 14.5 and body["renderTime"] == 60000


def test_failed_render_has_error_no_url(sb: Sandbox) -> None:
    """A failed render carries its error and no url; data=false drops the edit."""
    body = get(sb, f"/edit/v1/render/{FAILED_ID}?data=false").json()["response"]
    assert body["status"] == "failed" and body["error"] == "Render failed: bad source"
    assert "url" not in body and "data" not in body
    full = get(sb, f"/edit/v1/render/{DONE_ID}").json()["response"]
    assert full["data"] == edit() and full["poster"].endswith(f"{DONE_ID}-poster.jpg")
    assert full["thumbnail"] is None
    assert get(sb, f"/edit/v1/render/{DONE_ID}?data=maybe").status_code == 400


def test_versions_are_isolated(sb: Sandbox) -> None:
    """A stage render and its files are 404 on v1 and found on stage."""
    assert get(sb, f"/edit/v1/render/{STAGE_ID}").status_code == 404
    assert get(sb, f"/edit/stage/render/{STAGE_ID}").status_code == 200
    assert get(sb, f"/serve/v1/assets/{STAGE_VIDEO_ID}").status_code == 404
    assert get(sb, f"/serve/stage/assets/{STAGE_VIDEO_ID}").status_code == 200
    assert get(sb, f"/serve/v1/assets/render/{STAGE_ID}").status_code == 404
    assert get(sb, "/edit/stage/templates").json()["response"]["templates"] == []


def test_bad_ids_400_unknown_ids_404(sb: Sandbox) -> None:
    """Ids off the spec's UUID pattern are 400; well-formed unknown ids are 404, spec-shaped."""
    unknown = "99999999-9999-4999-8999-999999999999"
    bad = get(sb, "/edit/v1/render/not-a-uuid")
    assert bad.status_code == 400 and bad.json()["success"] is False
    assert get(sb, f"/edit/v1/render/{unknown}").json()["message"] == "Not Found"
    for path in ("/serve/v1/assets/", "/serve/v1/assets/render/"):
        assert get(sb, path + "123").json()["errors"][0]["status"] == "400"
        response = get(sb, path + unknown)
        assert response.status_code == 404 and response.json()["errors"][0]["title"] == "Not Found"


def test_assets_appear_when_done_and_import(sb: Sandbox) -> None:
    """Files exist only once the render is done; each imports until its own ready time."""
    assert get(sb, f"/serve/v1/assets/render/{PENDING_ID}").json() == {"data": []}
    by_render = get(sb, f"/serve/v1/assets/render/{DONE_ID}").json()["data"]
    status = {a["attributes"]["id"]: a["attributes"]["status"] for a in by_render}
    assert status == {VIDEO_ID: "ready", POSTER_ID: "importing"}
    sb.clock.advance(31)
    poster = get(sb, f"/serve/v1/assets/{POSTER_ID}").json()["data"]
    assert poster["type"] == "asset" and poster["attributes"]["status"] == "ready"
    assert poster["attributes"]["renderId"] == DONE_ID


def test_post_render_then_get(sb: Sandbox) -> None:
    """POST queues a render (201, QueuedResponse) that GET finds queued, then done with files."""
    created = post_render(sb, edit(length=30))
    assert created.status_code == 201
    assert created.json()["response"]["message"] == "Render Successfully Queued"
    rid = created.json()["response"]["id"]
    first = get(sb, f"/edit/v1/render/{rid}").json()["response"]
    assert (first["status"], first["duration"], first["data"]) == ("queued", 32.0, edit(length=30))
    assert get(sb, f"/edit/stage/render/{rid}").status_code == 404
    sb.clock.advance(20)
    assert get(sb, f"/edit/v1/render/{rid}").json()["response"]["status"] == "done"
    assert len(get(sb, f"/serve/v1/assets/render/{rid}").json()["data"]) == 2
    assert post_render(sb, {"timeline": {}}).status_code == 400
    assert post_render(sb, "not an edit").json()["success"] is False


def test_merged_substitutes_inside_strings_whatever_the_find(sb: Sandbox) -> None:
    """merge=true replaces each {{find}} inside the edit's strings; a `find` that spans the JSON
    text's punctuation (valid, since the document allows any string) changes nothing and
    breaks nothing, where text substitution once made every such GET a 500."""
    body = edit()
    title = {"asset": {"type": "title", "text": "Hi {{NAME}} {{"}, "start": 0, "length": 1}
    body["timeline"]["tracks"][0]["clips"].append(title)
    text = json.dumps(body)
    spanning = text[text.index('{{"') + 2 : text.rindex("}}")]  # from the lone {{ to the closing }}
    body["merge"] = [{"find": "NAME", "replace": "Jane"}, {"find": spanning, "replace": "x"}]
    rid = post_render(sb, body).json()["response"]["id"]
    answer = get(sb, f"/edit/v1/render/{rid}?merged=true")
    assert answer.status_code == 200, answer.text
    merged = answer.json()["response"]["data"]
    assert merged["timeline"]["tracks"][0]["clips"][1]["asset"]["text"] == "Hi Jane {{"
    assert "merge" not in merged and merged["output"] == body["output"]


def test_edit_rate_limit_per_version_no_retry_after() -> None:
    """Edit stage allows 150 x 0.02 = 3 calls; the 4th is 429 without Retry-After; v1 unaffected."""
    with serving(rate_limit_scale=0.02) as sb:
        assert [get(sb, "/edit/stage/templates").status_code for _ in range(3)] == [200] * 3
        limited = get(sb, "/edit/stage/templates")
        assert (limited.status_code, limited.json()) == (429, {"message": "Too Many Requests"})
        assert "Retry-After" not in limited.headers
        assert get(sb, "/edit/v1/templates").status_code == 200
        assert get(sb, "/ingest/stage/sources").status_code == 200


def test_shotstack_faults(sb: Sandbox) -> None:
    """Injected 429 has no Retry-After; 5xx bodies are gateway style; faults stop after count; a
    wrong content type is a 200 HTML page."""
    sb.set_fault("shotstack.render_get", Fault(kind=429, count=1))
    limited = get(sb, f"/edit/v1/render/{DONE_ID}")
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    assert get(sb, f"/edit/v1/render/{DONE_ID}").status_code == 200
    sb.set_fault("shotstack.sources", Fault(kind=500))
    assert get(sb, "/ingest/v1/sources").json() == {"message": "Internal Server Error"}
    sb.set_fault("shotstack.templates", Fault(kind="wrong_content_type"))
    page = get(sb, "/edit/v1/templates")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_drifted_render_answers_gain_and_lose_fields_until_cleared(sb: Sandbox) -> None:
    """drift_renders adds fields to every render lookup and leaves others out; clear_faults undoes it."""
    plain = get(sb, f"/edit/v1/render/{DONE_ID}").json()["response"]
    sb.drift_renders(add={"deliveryRegion": "ap-southeast-2"}, remove=["plan", "owner"])
    drifted = get(sb, f"/edit/v1/render/{DONE_ID}").json()["response"]
    assert drifted == {
        **{k: v for k, v in plain.items() if k not in ("plan", "owner")},
        "deliveryRegion": "ap-southeast-2",
    }
    sb.clear_faults()
    assert get(sb, f"/edit/v1/render/{DONE_ID}").json()["response"] == plain


class _Receiver(BaseHTTPRequestHandler):
    """Collects callback bodies posted to it."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.received.append({"path": self.path, **json.loads(self.rfile.read(length))})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def wait_for(received: list[Any], n: int) -> None:
    deadline = time.monotonic() + 5
    while len(received) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def test_callbacks_once_per_finished_render(receiver: tuple[str, list[dict[str, Any]]]) -> None:
    """Renders finishing while serving are posted once each (the Edit's own callback URL wins
    over the sandbox's); renders already final at start are not posted."""
    url, received = receiver
    with serving(callback_url=url) as sb:
        rid = post_render(sb, edit(callback=url + "?edit=1")).json()["response"]["id"]
        sb.clock.advance(120)
        wait_for(received, 5)
        time.sleep(0.5)
    renders = [body for body in received if body["type"] == "edit"]
    by_id = {body["id"]: body for body in renders}
    assert len(renders) == 2 and set(by_id) == {PENDING_ID, rid}
    assert by_id[rid]["status"] == "done" and by_id[rid]["url"].endswith(f"{rid}.mp4")
    assert (by_id[rid]["path"], by_id[PENDING_ID]["path"]) == ("/hook?edit=1", "/hook")
    assert {by_id[PENDING_ID]["type"], by_id[PENDING_ID]["action"]} == {"edit", "render"}


def test_serve_callbacks_once_per_hosted_file(receiver: tuple[str, list[dict[str, Any]]]) -> None:
    """The spec's `callback`: notices also go out when a file reaches its destination; the
    publisher's docs give one `serve`/`copy` POST per file, `id` the asset's, `render` the render's.
    Files already copied when the sandbox started are not posted; a render's own notice comes first."""
    url, received = receiver
    with serving(callback_url=url) as sb:
        rid = post_render(sb, edit(callback=url + "?edit=1")).json()["response"]["id"]
        sb.clock.advance(120)
        wait_for(received, 5)
        time.sleep(0.5)
        files = {a.id: a for a in sb.world.assets_for(rid)}
    copies = {body["id"]: body for body in received if body["type"] == "serve"}
    assert set(copies) == {POSTER_ID, *files}, "the poster of DONE_ID finished copying at +30 s"
    assert len([b for b in received if b["type"] == "serve"]) == len(copies) == 3
    assert copies[POSTER_ID]["path"] == "/hook" and copies[POSTER_ID]["render"] == DONE_ID
    for asset_id, asset in files.items():
        body = copies[asset_id]
        assert (body["path"], body["action"], body["render"], body["status"]) == (
            "/hook?edit=1",
            "copy",
            rid,
            "ready",
        )
        assert body["url"].endswith(f"/v1/{body['owner']}/{asset.filename}") and body["error"] is None
    order = [(b["type"], b.get("render", b["id"])) for b in received if rid in (b["id"], b.get("render"))]
    assert order[0] == ("edit", rid)


def test_a_failing_callback_holds_back_no_other(
    receiver: tuple[str, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    """A render whose callback cannot be sent (a URL urllib refuses) is logged by id, once; the
    same tick still sends every other render's and file's callback. Called tick by tick, since
    the served loop would hide a lost tick behind the next one."""
    url, received = receiver
    world = hand_world()
    bad_id, bad_file = "55555555-5555-4555-8555-555555555555", "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
    ready = NOW + timedelta(seconds=5)
    world.renders.insert(0, Render(bad_id, "v1", edit(), NOW, ready, callback="not a url"))
    world.assets.insert(0, HostedAsset(bad_file, bad_id, "v1", f"{bad_id}.mp4", ready, ready))
    sb = Sandbox(world, callback_url=url)
    notifier = CallbackNotifier(sb)
    sb.clock.advance(120)
    with caplog.at_level(logging.ERROR, logger="media_assets.sandbox.webhooks"):
        notifier.tick()
        sent = {(body["type"], body["id"]) for body in received}
        assert sent == {("edit", PENDING_ID), ("serve", POSTER_ID)}
        failures = [record.getMessage() for record in caplog.records]
        assert len(failures) == 2 and bad_id in failures[0] and bad_file in failures[1]
        notifier.tick()
    assert len(received) == 2 and len(caplog.records) == 2, "nothing is sent or logged twice"
