"""Shotstack webhook emulation: POST a render's outcome once it reaches done or failed."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import TYPE_CHECKING, Any

from media_assets.sandbox.responses import iso_z
from media_assets.sandbox.world import Render

if TYPE_CHECKING:
    from media_assets.sandbox.server import Sandbox

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


def deliver(url: str, body: dict[str, Any], attempts: int = ATTEMPTS) -> bool:
    """POST with a few retries; a receiver that stays down is logged, never raised."""
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
                log.warning("callback for render %s to %s failed: %s", body["id"], url, exc)
            else:
                time.sleep(0.1 * (attempt + 1))
    return False


class CallbackNotifier:
    """Ticks while serving; renders already final when the sandbox started are not announced."""

    def __init__(self, sb: Sandbox) -> None:
        self._sb = sb
        now = sb.clock.now()
        self._announced = {r.id for r in sb.world.renders if now >= r.ready_at}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        """Announce every render that became final since the last tick and has a target."""
        now = self._sb.clock.now()
        for render in list(self._sb.world.renders):
            if render.id in self._announced or now < render.ready_at:
                continue
            self._announced.add(render.id)
            target = render.callback or self._sb.callback_url
            if target:
                deliver(target, payload(render, self._sb.world.owner_of(render)))

    def _loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # the notifier must never take the server down
                log.exception("callback tick failed")

    def start(self) -> None:
        """Run ticks in a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-callbacks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
