"""dlt's pipeline dashboard (`dlt pipeline <name> show`), started for real and queried as its page would.

The dashboard is a marimo app: a page's session is a websocket that receives every cell's output,
and a click or an edit is a POST of the new value of one UI element. Here a session types a query
into the dashboard's SQL editor, presses "Run Query", and reads the result table marimo sends back.
"""

import asyncio
import html
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import websockets

STARTUP_SECONDS = 60.0
# the longest a page may take to render, or to answer a query: a bound on a hang, not a speed
# claim; 60 s ran out once on a loaded CI machine (its first query, beside another worker's e2e)
RENDER_SECONDS = 180.0
URL = re.compile(r"URL: (http://\S+)")
ELEMENT = re.compile(r"<marimo-ui-element object-id='([^']+)'[^>]*>\s*<marimo-([\w-]+)([^>]*)>")


@contextmanager
def dashboard(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Run `command` (a `dlt pipeline ... show`) in its own process group; yield the URL it serves.

    BROWSER=true makes Python's webbrowser "open" the page with /bin/true: nothing is launched.
    """
    env = {**env, "BROWSER": "true", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield _served_url(process)
    finally:
        # dlt starts marimo as a child: end the whole group, and wait for all of it, or marimo
        # outlives the test and keeps the warehouse open
        _end_group(process)


def _end_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _served_url(process: subprocess.Popen) -> str:
    deadline = time.monotonic() + STARTUP_SECONDS
    seen = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        found = URL.search(line)
        if found:
            return _when_answering(found.group(1), deadline)
    raise AssertionError("the dashboard never said where it serves:\n" + "".join(seen))


def _when_answering(url: str, deadline: float) -> str:
    """marimo prints its URL a moment before it accepts connections."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


async def _outputs(socket: websockets.ClientConnection, done: Callable[[str], bool]) -> str:
    """The page (every cell's newest HTML output received here) once `done(page)` holds."""
    cells: dict[str, str] = {}
    async with asyncio.timeout(RENDER_SECONDS):
        while True:
            data = json.loads(await socket.recv()).get("data", {})
            output = data.get("output") or {}
            if output.get("mimetype") == "text/html":
                cells[data["cell_id"]] = html.unescape(output["data"])
            if done(page := "\n".join(cells.values())):
                return page


def _element(page: str, kind: str, text: str) -> str:
    """The object id of the first UI element of `kind` whose attributes mention `text`."""
    for object_id, found_kind, attributes in ELEMENT.findall(page):
        if found_kind == kind and text in attributes:
            return object_id
    raise AssertionError(f"no {kind} mentioning {text!r} on the dashboard")


def _post_values(url: str, session: str, values: dict[str, object]) -> None:
    token = re.search(r'data-token="([^"]+)"', urllib.request.urlopen(url).read().decode()).group(1)
    body = json.dumps({"objectIds": list(values), "values": list(values.values())}).encode()
    request = urllib.request.Request(
        f"{url}/api/kernel/set_ui_element_value",
        data=body,
        headers={
            "Marimo-Session-Id": session,
            "Marimo-Server-Token": token,
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request) as answer:
        assert json.loads(answer.read()) == {"success": True}


def _result(page: str, column: str) -> list[dict] | None:
    """The rows of the query result table that has `column`, if the page shows one yet."""
    if "Query Result" not in page:
        return None
    for found in re.finditer(r"data-data='([^']*)'", page[page.index("Query Result") :]):
        try:
            rows = json.loads(json.loads(found.group(1)))
        except (TypeError, ValueError):
            continue
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and column in rows[0]:
            return rows
    return None


async def _query(url: str, sql: str, column: str) -> list[dict]:
    session = str(uuid.uuid4())
    socket_url = url.replace("http://", "ws://") + f"/ws?session_id={session}"
    async with websockets.connect(socket_url, max_size=None) as socket:
        page = await _outputs(socket, lambda page: "Run Query" in page)
        editor = _element(page, "code-editor", "SELECT")
        run = _element(page, "button", "Run Query")
        _post_values(url, session, {editor: sql, run: 1})
        page = await _outputs(socket, lambda page: _result(page, column) is not None)
    return _result(page, column) or []


def query(url: str, sql: str, column: str) -> list[dict]:
    """The rows the dashboard shows for `sql` (whose result has `column`), typed into its editor and
    run as a user would."""
    return asyncio.run(_query(url, sql, column))
