"""The Sandbox: world + clock + limits + faults, served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from media_assets.sandbox.app import ENDPOINT_NAMES, build_app
from media_assets.sandbox.clock import SandboxClock
from media_assets.sandbox.guard import Fault, FaultBook, RateLimiter
from media_assets.sandbox.webhooks import CallbackNotifier
from media_assets.sandbox.world import World

DEFAULT_PICSART_KEY = "sandbox-picsart-key"
DEFAULT_SHOTSTACK_KEY = "sandbox-shotstack-key"


class Sandbox:
    """Both APIs over real HTTP, with knobs for latency, rate limits, faults and time."""

    def __init__(
        self,
        world: World,
        picsart_key: str = DEFAULT_PICSART_KEY,
        shotstack_key: str = DEFAULT_SHOTSTACK_KEY,
        latency: float = 0.0,
        rate_limit_scale: float = 1.0,
        rate_window_seconds: float = 60.0,
        clock_speed: float = 1.0,
        callback_url: str | None = None,
        shotstack_stage_key: str | None = None,
    ) -> None:
        self.world = world
        self.picsart_key = picsart_key
        self.shotstack_key = shotstack_key
        self.shotstack_stage_key = shotstack_stage_key
        self.callback_url = callback_url
        self.clock = SandboxClock(world.now, clock_speed)
        self.limiter = RateLimiter(
            window_seconds=rate_window_seconds,
            scale=rate_limit_scale,
            wall_clock=lambda: self.clock.now().timestamp(),
        )
        self.faults = FaultBook()
        self.counts: Counter[str] = Counter()
        # the headers of the latest request to each named endpoint, so tests can see what clients send
        self.last_headers: dict[str, dict[str, str]] = {}
        self.balance_calls = 0
        self.base_url: str | None = None
        self._latency: dict[str | None, float] = {None: latency}
        self.app = build_app(self)

    @property
    def picsart_base_url(self) -> str:
        """Stands for https://api.picsart.io."""
        return f"{self._served_url()}/picsart"

    @property
    def picsart_video_base_url(self) -> str:
        """Stands for https://video-api.picsart.io."""
        return f"{self._served_url()}/picsart-video"

    @property
    def picsart_genai_base_url(self) -> str:
        """Stands for https://genai-api.picsart.io."""
        return f"{self._served_url()}/picsart-genai"

    @property
    def shotstack_base_url(self) -> str:
        """Stands for https://api.shotstack.io."""
        return f"{self._served_url()}/shotstack"

    def shotstack_key_for(self, version: str) -> str:
        """Shotstack issues a key per environment; without a stage key, one key serves both."""
        if version == "stage" and self.shotstack_stage_key is not None:
            return self.shotstack_stage_key
        return self.shotstack_key

    def _served_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the sandbox is not serving; use `with sb.serve() as base_url`")
        return self.base_url

    def set_fault(self, endpoint: str, fault: Fault) -> None:
        """Inject `fault` on a named endpoint (see ENDPOINT_NAMES)."""
        if endpoint not in ENDPOINT_NAMES:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINT_NAMES)}")
        self.faults.set(endpoint, fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    def set_latency(self, seconds: float, endpoint: str | None = None) -> None:
        """Delay responses globally, or for one endpoint (which then ignores the global)."""
        if endpoint is not None and endpoint not in ENDPOINT_NAMES:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        self._latency[endpoint] = seconds

    def latency_for(self, endpoint: str) -> float:
        """The delay that applies to `endpoint`."""
        return self._latency.get(endpoint, self._latency[None])

    def reset_counts(self) -> None:
        """Forget request counts and the headers last seen."""
        self.counts.clear()
        self.last_headers.clear()

    @contextmanager
    def serve(self, port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1 in a daemon thread (a free port when 0); yields the base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", date_header=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True)
        notifier = CallbackNotifier(self)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server failed to start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        notifier.start()
        try:
            yield self.base_url
        finally:
            notifier.stop()
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
            self.base_url = None

    def run(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        """Serve in the foreground until interrupted (for the CLI)."""
        self.base_url = f"http://{host}:{port}"
        notifier = CallbackNotifier(self)
        notifier.start()
        try:
            uvicorn.run(self.app, host=host, port=port, log_level="info", lifespan="off", date_header=False)
        finally:
            notifier.stop()
            self.base_url = None
