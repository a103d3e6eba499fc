"""Shapes of Shotstack's answers that more than one resource reads."""

from typing import Any


def unwrap_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """Flatten a JSON:API record to its attributes, where Serve and Ingest keep the id."""
    return item.get("attributes", item)
