"""The Starlette app: both publishers under their prefixes, plus the /_sandbox controls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from email.utils import format_datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from media_assets.sandbox import admin, picsart, shotstack, shotstack_serve
from media_assets.sandbox.responses import json_response
from media_assets.sandbox.state import SandboxState

Endpoint = Callable[[Request], Awaitable[Response]]

# name -> (method, path under /shotstack, API for the rate bucket, handler)
SHOTSTACK_ROUTES: dict[str, tuple[str, str, str, shotstack.Handler]] = {
    "shotstack.render_create": ("POST", "/edit/{version}/render", "edit", shotstack.render_create),
    "shotstack.render_get": ("GET", "/edit/{version}/render/{id}", "edit", shotstack.render_get),
    "shotstack.templates": ("GET", "/edit/{version}/templates", "edit", shotstack.templates),
    "shotstack.assets_by_render": (
        "GET",
        "/serve/{version}/assets/render/{id}",
        "serve",
        shotstack_serve.assets_by_render,
    ),
    "shotstack.asset_get": (
        "GET",
        "/serve/{version}/assets/{id}",
        "serve",
        shotstack_serve.asset_get,
    ),
    "shotstack.sources": ("GET", "/ingest/{version}/sources", "ingest", shotstack_serve.sources),
}
ENDPOINT_NAMES = (*picsart.ROUTES, *SHOTSTACK_ROUTES)


def _counted(sb: SandboxState, name: str, call: Endpoint) -> Endpoint:
    """Count every request to a named endpoint (whatever its status) and keep its headers,
    apply latency, then run the gate."""

    async def endpoint(request: Request) -> Response:
        arrived = time.monotonic()
        named = name in ENDPOINT_NAMES
        if named:
            sb.counts[name] += 1
            sb.last_headers[name] = dict(request.headers)  # names in lower case, as ASGI gives them
        delay = sb.latency_for(name)
        if delay > 0:
            await asyncio.sleep(delay)
        response = _dated(sb, await call(request))
        if named:
            sb.spans.append((name, arrived, time.monotonic()))
        return response

    return endpoint


def _dated(sb: SandboxState, response: Response) -> Response:
    """The Date header tells the sandbox clock, so a moved clock moves what clients record."""
    response.headers["Date"] = format_datetime(sb.clock.now(), usegmt=True)
    return response


def _picsart(sb: SandboxState, name: str, handler: picsart.Handler) -> Endpoint:
    async def call(request: Request) -> Response:
        return await picsart.gate(request, sb, name, handler)

    return _counted(sb, name, call)


def _shotstack(sb: SandboxState, name: str, api: str, handler: shotstack.Handler) -> Endpoint:
    async def call(request: Request) -> Response:
        return await shotstack.gate(request, sb, name, api, handler)

    return _counted(sb, name, call)


def _http_error(sb: SandboxState) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Unrouted paths and wrong methods answer JSON like the gateways do, not plain text,
    dated like every answer; a 405 keeps its Allow header, as HTTP requires."""

    async def handler(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _dated(sb, json_response({"message": exc.detail}, exc.status_code, exc.headers))
        return _dated(sb, json_response({"message": "Internal Server Error"}, 500))

    return handler


def build_app(sb: SandboxState) -> Starlette:
    """One app standing for every host: /picsart, /picsart-video, /picsart-genai and /shotstack."""
    routes = [
        Route(path, _picsart(sb, name, handler), methods=["GET"])
        for name, (path, handler) in picsart.ROUTES.items()
    ]
    # after the named routes, so they take only what those leave: every Picsart answer has its headers
    unrouted = _picsart(sb, "picsart.unrouted", picsart.unrouted)
    every = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes += [Route(f"{host}/{{rest:path}}", unrouted, methods=every) for host in picsart.HOSTS]
    routes += [
        Route(f"/shotstack{path}", _shotstack(sb, name, api, handler), methods=[method])
        for name, (method, path, api, handler) in SHOTSTACK_ROUTES.items()
    ]
    routes += admin.routes(sb)
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error(sb)})
