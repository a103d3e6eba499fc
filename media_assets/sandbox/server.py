"""Serving a sandbox with uvicorn, in a background thread or in the foreground, webhooks alongside."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from media_assets.sandbox.state import SandboxState
from media_assets.sandbox.webhooks import CallbackNotifier


@contextmanager
def serve(state: SandboxState, app: Starlette, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a daemon thread (a free port when 0); yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", date_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="sandbox", daemon=True)
    notifier = CallbackNotifier(state)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("sandbox server failed to start")
        time.sleep(0.01)
    state.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    notifier.start()
    try:
        yield state.base_url
    finally:
        notifier.stop()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        state.base_url = None


def run(state: SandboxState, app: Starlette, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve `app` in the foreground until interrupted (for the CLI)."""
    state.base_url = f"http://{host}:{port}"
    notifier = CallbackNotifier(state)
    notifier.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off", date_header=False)
    finally:
        notifier.stop()
        state.base_url = None
