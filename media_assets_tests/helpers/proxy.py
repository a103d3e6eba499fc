"""Test helper: a TCP proxy on 127.0.0.1 that drops chosen connections in the middle of an answer."""

import random
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass
class Cuts:
    """Which answers to cut: those to paths starting with one of `always`, and a seeded `share`
    of the rest; `log` keeps every answer's path and whether it was cut, in order."""

    share: float = 0.0
    always: tuple[str, ...] = ()
    seed: int = 0
    log: list[tuple[str, bool]] = field(default_factory=list)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def decide(self, path: str) -> bool:
        with self._lock:
            cut = path.startswith(self.always) if self.always else False
            cut = cut or self._rng.random() < self.share
            self.log.append((path, cut))
            return cut

    def cut(self, prefix: str = "") -> list[str]:
        """The paths (under `prefix`) whose answers were cut."""
        with self._lock:
            return [path for path, cut in self.log if cut and path.startswith(prefix)]

    def answers(self, prefix: str) -> list[bool]:
        """For each answer to a path under `prefix`, in order, whether it was cut."""
        with self._lock:
            return [cut for path, cut in self.log if path.startswith(prefix)]


def _head(stream: BinaryIO) -> bytes:
    """A request's or response's start line and headers, up to the blank line; b"" at EOF."""
    lines = []
    while True:
        line = stream.readline()
        if not line:
            return b""
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _length(head: bytes) -> int:
    """The Content-Length of a head (0 when absent: GETs, and every answer here has one)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


class _Relay(socketserver.BaseRequestHandler):
    """One client connection: each request goes upstream whole; each answer comes back whole, or
    its headers and half its body and then the connection closes, as when a link drops."""

    server: "_Server"

    def handle(self) -> None:
        client: socket.socket = self.request
        with socket.create_connection(self.server.upstream, timeout=30) as upstream:
            from_client, from_upstream = client.makefile("rb"), upstream.makefile("rb")
            while True:
                request = _head(from_client)
                if not request:
                    return
                upstream.sendall(request + from_client.read(_length(request)))
                answer = _head(from_upstream)
                if not answer:
                    return
                body = from_upstream.read(_length(answer))
                path = request.split(b" ", 2)[1].decode()
                if self.server.cuts.decide(path):
                    client.sendall(answer + body[: len(body) // 2])
                    return  # socketserver closes the client's side: the body stops short
                client.sendall(answer + body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int], cuts: Cuts) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.upstream = upstream
        self.cuts = cuts


@contextmanager
def cutting_proxy(upstream_url: str, cuts: Cuts) -> Iterator[str]:
    """Serve a proxy to `upstream_url` (http://127.0.0.1:<port>) that cuts answers as `cuts` says;
    yields the proxy's base URL, to use in place of the upstream's."""
    host, port = upstream_url.removeprefix("http://").split(":")
    server = _Server((host, int(port)), cuts)
    thread = threading.Thread(target=server.serve_forever, name="cutting-proxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
