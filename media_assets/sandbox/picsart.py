"""Picsart handlers: key check, Accept check, one rate bucket, then the read endpoints of its hosts."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from media_assets.sandbox.accept import admits_json
from media_assets.sandbox.guard import TEXT_NUMBERS, RateState
from media_assets.sandbox.responses import (
    json_response,
    picsart_error,
    picsart_fault,
    picsart_unauthorized,
    text_numbers,
)
from media_assets.sandbox.state import SandboxState

Handler = Callable[[Request, SandboxState], Awaitable[Response]]
RATE_LIMIT = 500  # requests per window per account, one bucket for every Picsart endpoint
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# path prefixes standing for api.picsart.io, video-api.picsart.io and genai-api.picsart.io
HOSTS = ("/picsart", "/picsart-video", "/picsart-genai")


class BadRequest(Exception):
    """A query parameter the endpoint cannot accept; becomes a 400."""


async def gate(request: Request, sb: SandboxState, name: str, handler: Handler) -> Response:
    """Auth first (a bad key is never masked), then Accept, rate limit, faults, the handler."""
    limiter = sb.limiter
    if request.headers.get("x-picsart-api-key") != sb.picsart_key:
        state = limiter.check("picsart", RATE_LIMIT, consume=False)
        return _stamp(picsart_unauthorized("Invalid or missing API key."), state)
    if not admits_json(request.headers.get("accept")):
        state = limiter.check("picsart", RATE_LIMIT, consume=False)
        detail = "The Accept header must admit application/json."
        return _stamp(picsart_error(406, detail), state)
    state = limiter.check("picsart", RATE_LIMIT)
    if not state.allowed:
        return _stamp(picsart_error(429, "Rate limit exceeded, retry after the reset time."), state)
    fault = sb.faults.draw(name)
    if fault is not None and fault.kind != TEXT_NUMBERS:
        if fault.kind == 429:  # an injected limit reads like a real one: nothing left
            state = RateState(False, state.limit, 0, state.reset_epoch)
        return _stamp(picsart_fault(fault, {}), state)
    try:
        response = await handler(request, sb)
    except BadRequest as exc:
        response = picsart_error(400, str(exc))
    if fault is not None:  # the real answer, its numbers turned to text
        response = text_numbers(response)
    return _stamp(response, state)


def _stamp(response: Response, state: RateState) -> Response:
    """Add the headers Picsart puts on every response, errors included."""
    response.headers["X-Picsart-Ratelimit-Limit"] = str(state.limit)
    response.headers["X-Picsart-Ratelimit-Available"] = str(state.available)
    response.headers["X-Picsart-Ratelimit-Reset-Time"] = str(state.reset_epoch)
    response.headers["X-Picsart-Correlation-Id"] = str(uuid.uuid4())
    return response


def _int_param(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    """A positive integer query parameter, within `maximum` when given."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}.") from None
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum else ""
        raise BadRequest(f"{name} must be at least 1{limit}, got {value}.")
    return value


def _paged(request: Request, key: str, rows: list[dict[str, Any]]) -> Response:
    """One page of `rows` under `key`, with `next_page` only while more rows remain."""
    page = _int_param(request, "page", 1)
    size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = (page - 1) * size
    body: dict[str, Any] = {key: rows[start : start + size]}
    if start + size < len(rows):
        body["next_page"] = page + 1
    return json_response(body)


async def balance(request: Request, sb: SandboxState) -> Response:
    """Credits follow the world's timeline on the sandbox clock; without one they walk down its
    balance series one call at a time, then hold."""
    series = sb.world.picsart.balance_series or [0]
    credits = sb.world.picsart.credits_at(sb.clock.now())
    if credits is None:
        credits = series[min(sb.balance_calls, len(series) - 1)]
    sb.balance_calls += 1
    return json_response({"credits": credits}, headers={"X-Picsart-Credit-Available": str(credits)})


async def effects(request: Request, sb: SandboxState) -> Response:
    """The classic effect names."""
    data = [{"name": n} for n in sb.world.picsart.effects]
    return json_response({"status": "success", "data": data})


async def effects_ai(request: Request, sb: SandboxState) -> Response:
    """The AI effect names."""
    data = [{"name": n} for n in sb.world.picsart.ai_effects]
    return json_response({"status": "success", "data": data})


async def image_search(request: Request, sb: SandboxState) -> Response:
    """Brief-only: images whose tag equals the term or whose title contains it."""
    term = request.query_params.get("q", "").strip()
    if not term:
        raise BadRequest("Query parameter q is required.")
    return _paged(request, "results", sb.world.picsart.search(term))


async def image_trending(request: Request, sb: SandboxState) -> Response:
    """Brief-only: trending images by rank."""
    return _paged(request, "items", sb.world.picsart.trending)


async def genai_models(request: Request, sb: SandboxState) -> Response:
    """Brief-only: GenAI models and their credit price."""
    return _paged(request, "models", sb.world.picsart.models)


async def video_info(request: Request, sb: SandboxState) -> Response:
    """Brief-only: one object describing the video service."""
    return json_response({"data": sb.world.picsart.video_info})


async def unrouted(request: Request, sb: SandboxState) -> Response:
    """A path no Picsart host serves (404), or a method a served path refuses (405)."""
    served = any(request.url.path == path for path, _ in ROUTES.values())
    if served:
        detail = f"{request.method} is not allowed on {request.url.path}."
        return picsart_error(405, detail, {"Allow": "GET, HEAD"})
    return picsart_error(404, f"No resource at {request.url.path}.")


# name -> (path including its host prefix, handler); every host's /balance reads the one account
ROUTES: dict[str, tuple[str, Handler]] = {
    "picsart.balance": ("/picsart/tools/1.0/balance", balance),
    "picsart.effects": ("/picsart/tools/1.0/effects", effects),
    "picsart.effects_ai": ("/picsart/tools/1.0/effects/ai", effects_ai),
    "picsart.image_search": ("/picsart/image-tools/search", image_search),
    "picsart.image_trending": ("/picsart/image-tools/trending", image_trending),
    "picsart.video_info": ("/picsart/video-tools/info", video_info),
    "picsart.genai_models": ("/picsart/genai-tools/models", genai_models),
    "picsart.video_balance": ("/picsart-video/v1/balance", balance),
    "picsart.genai_balance": ("/picsart-genai/v1/balance", balance),
}
