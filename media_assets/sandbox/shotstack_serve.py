"""Shotstack Serve (hosted assets) and Ingest (sources) handlers, JSON:API shaped."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from media_assets.sandbox.records import REGION, HostedAsset, Source, ingest_bucket
from media_assets.sandbox.responses import REASONS, iso_z, json_response
from media_assets.sandbox.shotstack import UUID_RE
from media_assets.sandbox.state import SandboxState


def api_error(status: int, detail: str) -> Response:
    """The JSON:API error list the spec defines for Ingest (IngestErrorResponse)."""
    error = {"status": str(status), "title": REASONS[status], "detail": detail}
    return json_response({"errors": [error]}, status)


def asset_item(sb: SandboxState, asset: HostedAsset) -> dict[str, Any]:
    """AssetResponseData at the sandbox clock; the id lives inside `attributes`."""
    now = sb.clock.now()
    status = asset.status_at(now)
    owner = sb.world.owner_of(asset)
    attributes = {
        "id": asset.id,
        "owner": owner,
        "region": REGION,
        "renderId": asset.render_id,
        "providerId": asset.provider_id or asset.id,
        "filename": asset.filename,
        "url": asset.cdn_url(owner),
        "status": status,
        "created": iso_z(asset.created),
        "updated": iso_z(asset.ready_at if status != "importing" else asset.created),
    }
    return {"type": "asset", "attributes": attributes}


def _visible(sb: SandboxState, asset: HostedAsset) -> bool:
    """Hosted files exist only once their render is done at the sandbox clock."""
    render = sb.world.render(asset.render_id, asset.version)
    return render is not None and render.status_at(sb.clock.now()) == "done"


async def asset_get(request: Request, sb: SandboxState, version: str) -> Response:
    """GET assets/{id}: one hosted file of this version."""
    asset_id = request.path_params["id"]
    if not UUID_RE.match(asset_id):
        return api_error(400, f"Invalid asset id: {asset_id}")
    asset = sb.world.asset(asset_id, version)
    if asset is None or not _visible(sb, asset):
        return api_error(404, f"Asset not found: {asset_id}")
    return json_response({"data": asset_item(sb, asset)})


async def assets_by_render(request: Request, sb: SandboxState, version: str) -> Response:
    """GET assets/render/{id}: every hosted file of a render of this version.

    The spec gives this endpoint only a 200 whose `data` is an array, so a render that
    exists but is not done yet answers 200 with an empty list; an unknown render is 404.
    """
    render_id = request.path_params["id"]
    if not UUID_RE.match(render_id):
        return api_error(400, f"Invalid render id: {render_id}")
    if sb.world.render(render_id, version) is None:
        return api_error(404, f"Render not found: {render_id}")
    assets = [a for a in sb.world.assets_for(render_id) if _visible(sb, a)]
    return json_response({"data": [asset_item(sb, a) for a in assets]})


def source_item(sb: SandboxState, source: Source, version: str) -> dict[str, Any]:
    """SourceResponseData: media facts only once the source is ready."""
    attributes: dict[str, Any] = {
        "id": source.id,
        "owner": sb.world.owner,
        "input": source.input,
        "source": f"{ingest_bucket(version)}/{sb.world.owner}/{source.id}/source.mp4",
        "status": source.status,
        "outputs": {"renditions": source.renditions},
    }
    if source.status == "ready":
        attributes.update(width=source.width, height=source.height, duration=source.duration, fps=source.fps)
    attributes["created"] = iso_z(source.created)
    attributes["updated"] = iso_z(source.updated)
    return {"type": "source", "id": source.id, "attributes": attributes}


async def sources(request: Request, sb: SandboxState, version: str) -> Response:
    """GET sources: every ingested file of this version, unpaged."""
    rows = [source_item(sb, s, version) for s in sb.world.sources[version]]
    return json_response({"data": rows})
