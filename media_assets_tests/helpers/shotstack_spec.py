"""Shotstack's official OpenAPI document, for the tests that hold the sandbox to it."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC = Path(__file__).resolve().parents[3] / "shared" / "apis" / "shotstack" / "openapi.json"
URI = "urn:shotstack-openapi"


def load_spec() -> dict[str, Any]:
    """The official document; in CI its absence fails the run, since these tests are the fidelity proof."""
    if not SPEC.exists():
        missing = f"Shotstack OpenAPI document not found at {SPEC}: the sandbox's fidelity is unchecked"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    return json.loads(SPEC.read_text())


def validator_for(spec: dict[str, Any], pointer: str) -> OAS30Validator:
    """A validator for the schema at `pointer` in the (patched) document, refs resolved.

    The patches: Asset and Destinations put additionalProperties: false beside a oneOf/anyOf
    with no properties, which under JSON Schema rejects every asset and every destination, and
    Destinations' discriminator names a property (`destinations`) that none of its branches has.
    test_spec_quirks_still_present pins them."""
    patched = copy.deepcopy(spec)
    schemas = patched["components"]["schemas"]
    del schemas["Asset"]["additionalProperties"]
    del schemas["Destinations"]["additionalProperties"], schemas["Destinations"]["discriminator"]
    registry = Registry().with_resource(URI, Resource.from_contents(patched, DRAFT4))
    return OAS30Validator({"$ref": f"{URI}#{pointer}"}, registry=registry)
