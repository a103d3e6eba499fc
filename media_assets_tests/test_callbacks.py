"""The webhook receiver turns Shotstack render callbacks into inbox files, and rejects bad bodies."""

import json
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest
import requests

from media_assets.lib.inbox import scan
from media_assets.local.receiver import MAX_BODY_BYTES
from media_assets.sandbox import Render, Sandbox, World

from .helpers.sandbox_world import NOW, edit
from .helpers.sensors import tick
from .helpers.webserver import RENDER_ID, callback, receiver

TOKEN = "shared-callback-token"


def test_valid_callback_lands_in_the_inbox(tmp_path: Path) -> None:
    """A render callback is acknowledged and its id is what the inbox sensor then reads."""
    with receiver(tmp_path) as url:
        response = requests.post(url, json=callback(), timeout=10)
    assert response.status_code == 200
    assert scan(tmp_path, None).new_ids == [RENDER_ID]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"type": "edit"}', 400),
        (b'{"type": "edit", "id": "../../etc/passwd", "status": "done"}', 400),
        (b"[1, 2, 3]", 400),
        (b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}', 413),
    ],
)
def test_bad_bodies_are_refused_and_write_nothing(tmp_path: Path, body: bytes, status: int) -> None:
    """Malformed, incomplete, mis-typed or oversized bodies get an error and leave the inbox empty."""
    with receiver(tmp_path) as url:
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == status
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_callback_not_sent_as_json_is_refused(tmp_path: Path, content_type: str | None) -> None:
    """415 and nothing written: a web page can make a browser post text or a form to loopback unasked."""
    headers = {"Content-Type": content_type} if content_type else {}
    with receiver(tmp_path) as url:
        response = requests.post(url, data=json.dumps(callback()), headers=headers, timeout=10)
    assert response.status_code == 415 and "application/json" in response.json()["message"]
    assert list(tmp_path.iterdir()) == []


def test_shared_token_is_required_when_set(tmp_path: Path) -> None:
    """With a token configured, a callback without it is refused and one with it is accepted."""
    with receiver(tmp_path, TOKEN) as url:
        assert requests.post(url, json=callback(), timeout=10).status_code == 403
        assert list(tmp_path.iterdir()) == []
        assert requests.post(f"{url}?token={TOKEN}", json=callback(), timeout=10).status_code == 200
    assert scan(tmp_path, None).new_ids == [RENDER_ID]


def test_sandbox_calls_the_receiver_when_a_render_finishes(tmp_path: Path) -> None:
    """The whole loop offline: a sandbox render finishes, the receiver writes its id to the inbox."""
    render = Render(
        id=RENDER_ID,
        version="v1",
        edit=edit(),
        created=NOW,
        ready_at=NOW + timedelta(seconds=30),
        final_status="done",
        render_time_ms=30000,
    )
    with receiver(tmp_path) as url:
        sandbox = Sandbox(World(renders=[render]), clock_speed=0.0, callback_url=url)
        with sandbox.serve():
            sandbox.clock.advance(60)
            deadline = time.monotonic() + 10
            while not list(tmp_path.glob("*.txt")) and time.monotonic() < deadline:
                time.sleep(0.1)
    assert scan(tmp_path, None).new_ids == [RENDER_ID]


@pytest.mark.parametrize("render_id", [f"{RENDER_ID}\n", f" {RENDER_ID}", f"{RENDER_ID}\n<script>"])
def test_id_that_is_not_exactly_a_render_id_is_refused(tmp_path: Path, render_id: str) -> None:
    """A newline or anything else around the UUID is refused, never echoed, and writes nothing."""
    with receiver(tmp_path) as url:
        response = requests.post(url, json=callback(render_id), timeout=10)
    assert response.status_code == 400
    assert render_id not in response.text and "script" not in response.text
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("nested", [b"[" * 5000 + b"]" * 5000, b'{"a":' * 2000 + b"1" + b"}" * 2000])
def test_deeply_nested_json_is_refused_with_a_clear_message(tmp_path: Path, nested: bytes) -> None:
    """10 KB of nesting is a client's mistake (400 saying so), not a server error."""
    assert len(nested) <= MAX_BODY_BYTES
    with receiver(tmp_path) as url:
        response = requests.post(url, data=nested, headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "nested" in response.json()["message"]
    assert list(tmp_path.iterdir()) == []


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout if it neither answers nor closes."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_body_cut_off_midway_is_answered_in_bounded_time(tmp_path: Path) -> None:
    """A client that promises 1000 bytes and sends 9 gets a 408 and a closed connection, not a hang."""
    with receiver(tmp_path, body_timeout=1.0) as url:
        target = urlsplit(url)
        with socket.create_connection((target.hostname, target.port), timeout=20) as sock:
            started = time.monotonic()
            sock.sendall(
                f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n".encode()
                + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                + b'{"type": '
            )
            answer = read_until_closed(sock)
            waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert 1.0 <= waited < 6, "answered once the body timeout passed"
    assert list(tmp_path.iterdir()) == []


def test_callbacks_of_one_day_share_one_inbox_file(tmp_path: Path) -> None:
    """The inbox sensor's cursor holds an entry per file: a file per callback would grow it per id."""
    ids = [str(uuid.uuid4()) for _ in range(20)]
    day = datetime.now(UTC).date()
    with receiver(tmp_path) as url:
        for render_id in ids:
            assert requests.post(url, json=callback(render_id), timeout=10).status_code == 200
    files = list(tmp_path.iterdir())
    assert len(files) == 1 or datetime.now(UTC).date() != day, files
    assert scan(tmp_path, None).new_ids == ids


def test_concurrent_callbacks_write_each_id_exactly_once(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 callbacks sent at once: whole lines only, and the inbox sensor reads each id exactly once."""
    ids = [str(uuid.uuid4()) for _ in range(200)]
    ready = threading.Barrier(len(ids))

    def send(render_id: str) -> int:
        ready.wait()  # all 200 post together
        return requests.post(url, json=callback(render_id), timeout=60).status_code

    with receiver(tmp_path) as url, ThreadPoolExecutor(len(ids)) as senders:
        assert set(senders.map(send, ids)) == {200}
    lines = b"".join(p.read_bytes() for p in tmp_path.glob("callback-*.txt")).split(b"\n")
    assert sorted(lines) == sorted([b"", *[i.encode() for i in ids]]), "no line torn, doubled or lost"
    monkeypatch.setenv("MEDIA_ASSETS__INBOX_DIR", str(tmp_path))
    first = tick("render_inbox_sensor", instance)
    assert sorted(i for run in first.render_ids for i in run) == sorted(ids) and not first.warnings
    assert tick("render_inbox_sensor", instance, first.cursor).run_requests == []
