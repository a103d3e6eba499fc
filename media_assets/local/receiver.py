"""The webhook receiver: Shotstack's render callbacks become render ids in the inbox."""

import asyncio
import hmac
import json
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..lib import inbox_table
from ..lib.inbox import UUID, append_ids

MAX_BODY_BYTES = 16 * 1024
# uvicorn has no body read timeout: a client that sends less than its Content-Length would hold the
# request open for ever. A render callback is under 1 KiB, so this is generous.
BODY_TIMEOUT_SECONDS = 10.0
CALLBACK_PATH = "/callbacks/shotstack"
# fields of Shotstack's render callback body
CALLBACK_FIELDS = ("type", "action", "id", "owner", "status", "url", "error", "completed")


async def _read_limited(request: Request, timeout: float) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (checked while reading).

    Raises TimeoutError when the whole body has not arrived within `timeout` seconds.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    async with asyncio.timeout(timeout):
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return None
    return body


def _is_json(content_type: str | None) -> bool:
    """Shotstack posts JSON. Refusing other types also refuses what a web page can make a browser
    post to a loopback address unasked: form and text/plain bodies, which need no CORS preflight."""
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


def build_callbacks_app(
    inbox: Path | None, token: str | None = None, body_timeout: float = BODY_TIMEOUT_SECONDS
) -> Starlette:
    """An app that appends the id of every valid render callback to the day's file in `inbox`, or,
    with `inbox` None, inserts it into the inbox table (`[media_assets] inbox = "table"`)."""

    def append(render_id: str) -> None:
        if inbox is None:
            inbox_table.append_ids([render_id])
        else:
            append_ids(inbox, [render_id], prefix="callback")

    async def receive(request: Request) -> JSONResponse:
        given = request.query_params.get("token") or request.headers.get("x-callback-token") or ""
        if token and not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"message": "Forbidden"}, 403)
        if not _is_json(request.headers.get("content-type")):
            return JSONResponse({"message": "Content-Type must be application/json"}, 415)
        try:
            body = await _read_limited(request, body_timeout)
        except TimeoutError:
            message = f"Body not received within {body_timeout:g} s of its headers"
            return JSONResponse({"message": message}, 408, headers={"Connection": "close"})
        if body is None:
            return JSONResponse({"message": f"Body larger than {MAX_BODY_BYTES} bytes"}, 413)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"message": "Body is not JSON"}, 400)
        except RecursionError:  # a render callback is one flat object; this is the client's error
            return JSONResponse({"message": "Body is JSON nested too deeply to be a render callback"}, 400)
        if not isinstance(payload, dict) or not all(name in payload for name in ("type", "id", "status")):
            return JSONResponse({"message": f"Expected a render callback with {CALLBACK_FIELDS}"}, 400)
        if not isinstance(payload["id"], str) or not UUID.fullmatch(payload["id"]):
            return JSONResponse({"message": "id is not a render id (a UUID, nothing around it)"}, 400)
        if payload["type"] != "edit":
            return JSONResponse({"message": "Ignored: not a render callback"}, 202)
        render_id = payload["id"].lower()  # a checked UUID: the only input ever echoed
        # a blocking write (a file lock, a database round trip) off the event loop
        await asyncio.to_thread(append, render_id)
        return JSONResponse({"message": "Queued", "id": render_id}, 200)

    return Starlette(routes=[Route(CALLBACK_PATH, receive, methods=["POST"])])
