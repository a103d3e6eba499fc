"""Shotstack gateway (version, key, rate limit, faults) and the Edit API handlers."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from media_assets.sandbox.edit_rules import MAX_DEPTH, edit_problems
from media_assets.sandbox.guard import TEXT_NUMBERS
from media_assets.sandbox.records import POSTER_SUFFIX, THUMB_SUFFIX, VERSIONS, Render
from media_assets.sandbox.responses import REASONS, gateway_error, iso_z, json_response, text_numbers
from media_assets.sandbox.responses import shotstack_fault as fault_response
from media_assets.sandbox.state import SandboxState

Handler = Callable[[Request, SandboxState, str], Awaitable[Response]]
# requests per window per key, by API and version (the publisher's table)
RATE_LIMITS = {
    "edit": {"v1": 300, "stage": 150},
    "serve": {"v1": 600, "stage": 300},
    "ingest": {"v1": 300, "stage": 120},
}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PLANS = {"v1": "basic", "stage": "sandbox"}
MAX_PROBLEMS_SHOWN = 5  # a 400 names the first few problems of an Edit, enough to fix it


async def gate(request: Request, sb: SandboxState, name: str, api: str, handler: Handler) -> Response:
    """Unknown version is 404; then the key (401 missing, 403 wrong or another environment's);
    then limits and faults."""
    version = request.path_params["version"]
    if version not in VERSIONS:
        return gateway_error(404)
    key = request.headers.get("x-api-key")
    if not key:
        return gateway_error(401)
    if key != sb.shotstack_key_for(version):
        return gateway_error(403)
    if not sb.limiter.check(f"{api}/{version}", RATE_LIMITS[api][version]).allowed:
        return gateway_error(429)
    fault = sb.faults.draw(name)
    if fault is not None and fault.kind != TEXT_NUMBERS:
        return fault_response(fault)
    response = await handler(request, sb, version)
    return response if fault is None else text_numbers(response)


def edit_error(status: int, detail: str) -> Response:
    """The Edit envelope with `success: false` and the error message as `response`."""
    body = {"success": False, "message": REASONS[status], "response": detail}
    return json_response(body, status)


def _bool_param(request: Request, name: str, default: bool) -> bool | None:
    """A true/false query flag; None when the value is not a boolean."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    return {"true": True, "false": False}.get(raw.lower())


def _as_text(value: Any) -> str:
    """A merge value as it goes into a string: a string as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _merged(edit: dict[str, Any]) -> dict[str, Any]:
    """The edit with its merge fields substituted, as `merged=true` asks.

    Substitution walks the edit's strings (keys too), not its JSON text, so a `find` that
    spans the text's punctuation cannot cut the JSON apart; a value that is not a string goes
    in as its JSON text.
    """
    fields = [
        ("{{" + str(f.get("find", "")) + "}}", _as_text(f.get("replace", ""))) for f in edit.get("merge", [])
    ]

    def substituted(value: Any) -> Any:
        if isinstance(value, str):
            for placeholder, replacement in fields:
                value = value.replace(placeholder, replacement)
            return value
        if isinstance(value, list):
            return [substituted(item) for item in value]
        if isinstance(value, dict):
            return {substituted(k): substituted(v) for k, v in value.items()}
        return value

    return {k: substituted(v) for k, v in edit.items() if k != "merge"}


def render_body(sb: SandboxState, render: Render, with_data: bool, merged: bool) -> dict[str, Any]:
    """RenderResponseData at the sandbox clock: url and files once done, error once failed; with
    the fields `drift_renders` adds or leaves out."""
    now = sb.clock.now()
    status = render.status_at(now)
    owner = sb.world.owner_of(render)
    span = render.ready_at - render.created
    if status in ("done", "failed"):
        updated = render.ready_at
    else:
        updated = render.created + span * render.stages.index(status) / len(render.stages)
    body: dict[str, Any] = {
        "id": render.id,
        "owner": owner,
        "plan": PLANS[render.version],
        "status": status,
        "duration": render.duration,
    }
    if status == "done":
        names = {a.filename for a in sb.world.assets_for(render.id)}
        host = f"https://shotstack-api-{render.version}-output.s3-ap-southeast-2.amazonaws.com"
        fmt = render.edit.get("output", {}).get("format", "mp4")
        poster, thumb = render.id + POSTER_SUFFIX, render.id + THUMB_SUFFIX
        body["renderTime"] = render.render_time_ms
        body["url"] = f"{host}/{owner}/{render.id}.{fmt}"
        body["poster"] = f"{host}/{owner}/{poster}" if poster in names else None
        body["thumbnail"] = f"{host}/{owner}/{thumb}" if thumb in names else None
    if status == "failed":
        body["renderTime"] = render.render_time_ms
        body["error"] = render.error or "Render failed"
    if with_data:
        body["data"] = _merged(render.edit) if merged else render.edit
    body["created"] = iso_z(render.created)
    body["updated"] = iso_z(updated)
    kept = {key: value for key, value in body.items() if key not in sb.render_fields_removed}
    return {**kept, **sb.render_fields_added}


async def render_get(request: Request, sb: SandboxState, version: str) -> Response:
    """GET render/{id}: a render is visible only in the version it was made in."""
    render_id = request.path_params["id"]
    if not UUID_RE.match(render_id):
        return edit_error(400, f"Invalid render id: {render_id}")
    with_data = _bool_param(request, "data", True)
    merged = _bool_param(request, "merged", False)
    if with_data is None or merged is None:
        return edit_error(400, "Query parameters data and merged must be true or false.")
    render = sb.world.render(render_id, version)
    if render is None:
        return edit_error(404, f"Render not found: {render_id}")
    body = render_body(sb, render, with_data, merged)
    return json_response({"success": True, "message": "OK", "response": body})


def _not_json(name: str) -> Any:
    """Python's parser takes NaN and Infinity, which JSON does not have: refuse them, as a
    strict parser does."""
    raise ValueError(f"{name} is not JSON")


async def render_create(request: Request, sb: SandboxState, version: str) -> Response:
    """POST render: an Edit the OpenAPI document refuses is a 400, as on the real service;
    a valid one is queued."""
    try:
        edit = json.loads(await request.body(), parse_constant=_not_json)
    except RecursionError:  # nesting so deep that the parser itself gives up
        return edit_error(400, f"Request body must not nest deeper than {MAX_DEPTH} levels.")
    except ValueError:
        return edit_error(400, "Request body is not valid JSON.")
    problems = edit_problems(edit)
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        return edit_error(400, f"Invalid Edit: {shown}" + (f" (and {more} more)" if more > 0 else ""))
    callback = edit.get("callback")
    render = sb.world.add_render(edit, version, sb.clock.now(), callback=callback)
    queued = {"message": "Render Successfully Queued", "id": render.id}
    return json_response({"success": True, "message": "Created", "response": queued}, 201)


async def templates(request: Request, sb: SandboxState, version: str) -> Response:
    """GET templates: the whole list, unpaged, as the spec has it."""
    rows = [
        {"id": t.id, "name": t.name, "created": iso_z(t.created), "updated": iso_z(t.updated)}
        for t in sb.world.templates[version]
    ]
    body = {"owner": sb.world.owner, "templates": rows}
    return json_response({"success": True, "message": "OK", "response": body})
