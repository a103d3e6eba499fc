"""Shotstack's webhooks: POST each render's outcome, then each hosted file's copy, to its callback URL."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from media_assets.sandbox.records import HostedAsset, Render
from media_assets.sandbox.responses import iso_z
from media_assets.sandbox.state import SandboxState
from media_assets.sandbox.world import World

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2
ATTEMPTS = 3


def payload(render: Render, owner: str) -> dict[str, Any]:
    """The body Shotstack posts to a render's callback URL, for the account `owner`."""
    done = render.final_status == "done"
    fmt = render.edit.get("output", {}).get("format", "mp4")
    host = f"https://shotstack-api-{render.version}-output.s3-ap-southeast-2.amazonaws.com"
    return {
        "type": "edit",
        "action": "render",
        "id": render.id,
        "owner": owner,
        "status": render.final_status,
        "url": f"{host}/{owner}/{render.id}.{fmt}" if done else None,
        "error": None if done else (render.error or "Render failed"),
        "completed": iso_z(render.ready_at),
    }


def serve_payload(asset: HostedAsset, owner: str) -> dict[str, Any]:
    """What Serve posts once a file reached its destination: `id` is the asset's, `render` the render's."""
    ready = asset.final_status == "ready"
    return {
        "type": "serve",
        "action": "copy",
        "id": asset.id,
        "render": asset.render_id,
        "owner": owner,
        "status": asset.final_status,
        "url": asset.cdn_url(owner) if ready else None,
        "error": None if ready else f"Copy of {asset.filename} failed",
        "completed": iso_z(asset.ready_at),
    }


def _copied(world: World, asset: HostedAsset, now: datetime) -> Render | None:
    """The file's render, once the file is final: copied only after its render is done."""
    render = world.render(asset.render_id, asset.version)
    if render is None or render.status_at(now) != "done" or now < asset.ready_at:
        return None
    return render


def shown(url: str) -> str:
    """A callback URL as logged: without its query, where a receiver's token travels."""
    return urlsplit(url)._replace(query="", fragment="").geturl()


def deliver(url: str, body: dict[str, Any], attempts: int = ATTEMPTS) -> bool:
    """POST with a few retries; a receiver that stays down is logged, without the URL's query."""
    data = json.dumps(body).encode()
    for attempt in range(attempts):
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2.0):
                return True
        except OSError as exc:
            if attempt == attempts - 1:
                log.warning("callback for render %s to %s failed: %s", body["id"], shown(url), exc)
            else:
                time.sleep(0.1 * (attempt + 1))
    return False


class CallbackNotifier:
    """Ticks while serving; renders and files already final when the sandbox started are not announced."""

    def __init__(self, sb: SandboxState) -> None:
        self._sb = sb
        world, now = sb.world, sb.clock.now()
        self._announced = {r.id for r in world.renders if now >= r.ready_at}
        self._copied = {a.id for a in world.assets if _copied(world, a, now)}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """Announce every render, then every hosted file, that became final since the last tick.

        Each one is tried on its own: one that fails (a callback URL urllib refuses, a record
        it cannot read) is logged and given up, and holds back none of the others."""
        world, now = self._sb.world, self._sb.clock.now()
        for render in list(world.renders):
            if render.id not in self._announced and now >= render.ready_at:
                self._announced.add(render.id)
                try:
                    self._send(render, payload(render, world.owner_of(render)))
                except Exception:
                    log.exception("callback for render %s failed; the others still go out", render.id)
        for asset in list(world.assets):
            if asset.id in self._copied:
                continue
            try:
                self._copy(world, asset, now)
            except Exception:
                self._copied.add(asset.id)  # given up: logged once, not on every tick
                log.exception("copy callback for file %s failed; the others still go out", asset.id)

    def _copy(self, world: World, asset: HostedAsset, now: datetime) -> None:
        """Send a file's copy callback once its render is done and the file is final."""
        render = _copied(world, asset, now)
        if render is not None:
            self._copied.add(asset.id)
            self._send(render, serve_payload(asset, world.owner_of(asset)))

    def _send(self, render: Render, body: dict[str, Any]) -> None:
        """POST to the render's own callback URL, else the account's (the sandbox's), if any."""
        target = render.callback or self._sb.callback_url
        if target:
            deliver(target, body)

    def _loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # the notifier must never take the server down
                log.exception("callback tick failed")

    def start(self) -> None:
        """Run ticks in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
