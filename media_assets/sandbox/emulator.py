"""The Sandbox callers hold: its state, one app answering for both APIs, and serve()/run()."""

from __future__ import annotations

from contextlib import AbstractContextManager

from media_assets.sandbox import server
from media_assets.sandbox.app import ENDPOINT_NAMES, build_app
from media_assets.sandbox.state import DEFAULT_PICSART_KEY, DEFAULT_SHOTSTACK_KEY, SandboxState
from media_assets.sandbox.world import World


class Sandbox(SandboxState):
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
        super().__init__(
            world,
            ENDPOINT_NAMES,
            picsart_key=picsart_key,
            shotstack_key=shotstack_key,
            latency=latency,
            rate_limit_scale=rate_limit_scale,
            rate_window_seconds=rate_window_seconds,
            clock_speed=clock_speed,
            callback_url=callback_url,
            shotstack_stage_key=shotstack_stage_key,
        )
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

    def _served_url(self) -> str:
        if self.base_url is None:
            raise RuntimeError("the sandbox is not serving; use `with sb.serve() as base_url`")
        return self.base_url

    def serve(self, port: int = 0) -> AbstractContextManager[str]:
        """Serve on 127.0.0.1 in a daemon thread (a free port when 0); the context gives the base URL."""
        return server.serve(self, self.app, port)

    def run(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        """Serve in the foreground until interrupted (for the CLI)."""
        server.run(self, self.app, host, port)
