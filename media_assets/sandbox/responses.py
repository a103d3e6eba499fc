"""Response builders shared by both publishers: JSON, injected faults, timestamps."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from media_assets.sandbox.guard import WRONG_CONTENT_TYPE, Fault

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def iso_z(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z, the way Shotstack writes times."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with the given status and extra headers."""
    return JSONResponse(body, status_code=status, headers=headers)


def malformed(headers: dict[str, str] | None = None) -> Response:
    """Status 200 that claims JSON but is cut off mid-object, like a dropped connection."""
    text = json.dumps({"success": True, "message": "OK", "response": {"id": "x"}})
    return Response(text[: len(text) // 2], 200, headers=headers, media_type="application/json")


def web_page(headers: dict[str, str] | None = None) -> Response:
    """Status 200 with an HTML page instead of JSON: what a login portal, or a proxy's error page
    in front of the API, answers."""
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in</h1></body></html>"
    return Response(page, 200, headers=headers, media_type="text/html")


def _numbers_as_text(value: Any) -> Any:
    """Every number in a JSON value as text with a unit, booleans and the rest unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return f"{value}s"
    if isinstance(value, dict):
        return {key: _numbers_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_text(item) for item in value]
    return value


def text_numbers(response: Response) -> Response:
    """The handler's own answer, its numbers turned to text ("12.5s"): valid JSON whose types changed."""
    headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
    return json_response(_numbers_as_text(json.loads(response.body)), response.status_code, headers)


def gateway_error(status: int) -> Response:
    """Shotstack's API-gateway error: only a message, and never a Retry-After header."""
    return json_response({"message": REASONS[status]}, status)


def picsart_error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """Picsart's general error body, `{"message", "detail"}`."""
    return json_response({"message": REASONS[status], "detail": detail}, status, headers)


def picsart_unauthorized(detail: str, headers: dict[str, str] | None = None) -> Response:
    """Picsart's documented 401 body, which alone also carries the status as `code`."""
    return json_response({"code": 401, "message": REASONS[401], "detail": detail}, 401, headers)


def shotstack_fault(fault: Fault) -> Response:
    """An injected Shotstack failure."""
    if fault.kind == "malformed":
        return malformed()
    if fault.kind == WRONG_CONTENT_TYPE:
        return web_page()
    return gateway_error(int(fault.kind))


def picsart_fault(fault: Fault, headers: dict[str, str]) -> Response:
    """An injected Picsart failure, still carrying the rate-limit headers."""
    if fault.kind == "malformed":
        return malformed(headers)
    if fault.kind == WRONG_CONTENT_TYPE:
        return web_page(headers)
    status = int(fault.kind)
    detail = f"Sandbox injected a {status} response."
    if status == 401:
        return picsart_unauthorized(detail, headers)
    if status == 402:  # out of credits: the documented body is the message alone
        return json_response({"message": REASONS[402]}, 402, headers)
    return picsart_error(status, detail, headers)
