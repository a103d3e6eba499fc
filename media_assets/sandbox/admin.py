"""The /_sandbox control surface for users in another process (CLI sandbox, e2e runs)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from media_assets.sandbox.guard import Fault
from media_assets.sandbox.responses import iso_z, json_response
from media_assets.sandbox.state import SandboxState


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or an empty dict when absent or not an object."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def routes(sb: SandboxState) -> list[Route]:
    """Counts, world summary, clock and faults; keys are never shown."""

    async def counts(request: Request) -> Response:
        if request.method == "DELETE":
            sb.reset_counts()
        return json_response(dict(sb.counts))

    async def world(request: Request) -> Response:
        summary = sb.world.summary()
        summary["clock"] = iso_z(sb.clock.now())
        return json_response(summary)

    async def advance(request: Request) -> Response:
        seconds = (await _json_body(request)).get("seconds")
        if not isinstance(seconds, int | float) or seconds < 0:
            return json_response({"message": "seconds must be a non-negative number"}, 400)
        return json_response({"now": iso_z(sb.clock.advance(float(seconds)))})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            sb.clear_faults()
            return json_response({"faults": "cleared"})
        body = await _json_body(request)
        kind = body.get("kind")
        kind = int(kind) if isinstance(kind, str) and kind.isdigit() else kind
        try:
            fault = Fault(kind=kind, share=float(body.get("share", 1.0)), count=body.get("count"))
            sb.set_fault(str(body.get("endpoint")), fault)
        except (ValueError, TypeError) as exc:
            return json_response({"message": str(exc)}, 400)
        return json_response({"endpoint": body["endpoint"], "kind": fault.kind})

    return [
        Route("/_sandbox/counts", counts, methods=["GET", "DELETE"]),
        Route("/_sandbox/world", world, methods=["GET"]),
        Route("/_sandbox/clock/advance", advance, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["POST", "DELETE"]),
    ]
