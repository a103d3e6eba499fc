"""Picsart's Accept rule: does a request's Accept header admit a JSON answer?"""

from __future__ import annotations

# how specific a media range is for application/json; others do not match it
SPECIFICITY = {("application", "json"): 2, ("application", "*"): 1, ("*", "*"): 0}


def _quality(params: list[str]) -> float | None:
    """The element's q (1 when absent); None when malformed, so the element is ignored."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return None
            return q if 0 <= q <= 1 else None
    return 1.0


def admits_json(accept: str | None) -> bool:
    """Whether `accept` admits application/json with a quality above zero.

    The brief's rule makes a missing or empty Accept a refusal, unlike plain HTTP. Otherwise, as
    HTTP has it, the most specific range that matches decides (`application/json`, then
    `application/*`, then `*/*`), so `application/json;q=0, */*` still refuses JSON.
    """
    if not accept:
        return False
    best: tuple[int, float] | None = None  # (specificity, q) of the deciding range
    for element in accept.split(","):
        media, *params = element.split(";")
        kind, _, subtype = media.strip().lower().partition("/")
        specificity = SPECIFICITY.get((kind, subtype))
        q = _quality(params)
        if specificity is None or q is None:
            continue
        if best is None or (specificity, q) > best:
            best = (specificity, q)
    return best is not None and best[1] > 0
