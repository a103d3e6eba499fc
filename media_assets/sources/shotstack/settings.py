"""Shotstack endpoint table, after the official OpenAPI document: paths, selectors, keys, written once."""

from typing import Any

BASE_URL = "https://api.shotstack.io"
VERSION = "v1"  # or "stage", the free watermarked sandbox
VERSIONS = ("v1", "stage")
API_KEY_HEADER = "x-api-key"
# requests per 60-second window per key, by API and version; a 429 carries no hint of the window's end
RATE_LIMITS = {
    "edit/v1": 300,
    "edit/stage": 150,
    "serve/v1": 600,
    "serve/stage": 300,
    "ingest/v1": 300,
    "ingest/stage": 120,
}

# statuses after which a render or hosted asset never changes again
TERMINAL_RENDER_STATUSES = ("done", "failed")
# what the source records for a render Shotstack does not know (404): never asked for again
NOT_FOUND = "not_found"
# what it records for a render the rate limit kept this run from looking up: the next refresh asks
DEFERRED = "deferred"
# every outcome of a lookup, as the renders asset reports them
RENDER_OUTCOMES = (*TERMINAL_RENDER_STATUSES, NOT_FOUND, DEFERRED)
TERMINAL_ASSET_STATUSES = ("ready", "failed", "deleted")

# `data=false` leaves out the edit JSON, which usage reporting does not need
RENDER_PATH = "edit/{version}/render/{id}"
RENDER_PARAMS = {"data": "false"}
RENDER_SELECTOR = "response"
ASSETS_BY_RENDER_PATH = "serve/{version}/assets/render/{id}"
ASSETS_BY_RENDER_SELECTOR = "data"

RENDER_COLUMNS: dict[str, Any] = {
    "id": {
        "data_type": "text",
        "nullable": False,
        "description": "The render's id (a UUID), from the POST /render reply or its callback.",
    },
    "version": {
        "data_type": "text",
        "nullable": False,
        "description": "The Shotstack environment: v1 (production) or stage (free, watermarked).",
    },
    "owner": {"data_type": "text", "description": "The account that owns the render."},
    "plan": {"data_type": "text", "description": "The account's plan when it rendered."},
    "status": {
        "data_type": "text",
        "nullable": False,
        "description": "queued, fetching, preprocessing, rendering, generating, saving, done or failed.",
    },
    "error": {"data_type": "text", "description": "Why the render failed; empty otherwise."},
    "duration": {"data_type": "double", "description": "Length of the output, in seconds."},
    "render_time": {
        "data_type": "double",
        "description": "How long Shotstack took to render it, in milliseconds.",
    },
    "url": {"data_type": "text", "description": "Where the finished video is served."},
    "poster": {"data_type": "text", "description": "The poster image's URL, when the edit asked for one."},
    "thumbnail": {"data_type": "text", "description": "The thumbnail's URL, when the edit asked for one."},
    "created": {"data_type": "timestamp", "description": "When the render was submitted, UTC."},
    "updated": {"data_type": "timestamp", "description": "When its status last changed, UTC."},
}
ASSET_COLUMNS: dict[str, Any] = {
    "id": {"data_type": "text", "nullable": False, "description": "The hosted file's id."},
    "owner": {"data_type": "text", "description": "The account that owns it."},
    "region": {"data_type": "text", "description": "The region Shotstack hosts it in."},
    "render_id": {"data_type": "text", "description": "The render that made it."},
    "provider_id": {"data_type": "text", "description": "The hosting provider's id for the file."},
    "filename": {"data_type": "text", "description": "The file's name."},
    "url": {"data_type": "text", "description": "Where the file is served."},
    "status": {"data_type": "text", "description": "importing, ready, failed or deleted."},
    "created": {"data_type": "timestamp", "description": "When the file was created, UTC."},
    "updated": {"data_type": "timestamp", "description": "When its status last changed, UTC."},
}
NOT_FOUND_TABLE = "renders_not_found"
NOT_FOUND_COLUMNS: dict[str, Any] = {
    "id": {
        "data_type": "text",
        "nullable": False,
        "description": "A tracked render id Shotstack answered 404 for; never asked for again.",
    },
    "version": {
        "data_type": "text",
        "nullable": False,
        "description": "The Shotstack environment that was asked.",
    },
    "status": {"data_type": "text", "nullable": False, "description": "Always not_found."},
    "checked_at": {
        "data_type": "timestamp",
        "nullable": False,
        "description": "When Shotstack answered 404, UTC.",
    },
}

# list and lookup endpoints, declared for dlt's rest_api; {version} is filled in by the source
RESOURCES: dict[str, dict[str, Any]] = {
    "templates": {
        "endpoint": {
            "path": "edit/{version}/templates",
            "data_selector": "response.templates",
            "paginator": "single_page",
        },
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": {
            "id": {"data_type": "text", "nullable": False, "description": "The template's id."},
            "name": {"data_type": "text", "description": "The template's name."},
            "created": {"data_type": "timestamp", "description": "When it was saved, UTC."},
            "updated": {"data_type": "timestamp", "description": "When it was last changed, UTC."},
        },
    },
    "ingest_sources": {
        "endpoint": {
            "path": "ingest/{version}/sources",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": {
            "id": {"data_type": "text", "nullable": False, "description": "The ingested source's id."},
            "owner": {"data_type": "text", "description": "The account that owns it."},
            "input": {"data_type": "text", "description": "The URL Shotstack fetched it from."},
            "source": {"data_type": "text", "description": "Where Shotstack keeps the original."},
            "status": {
                "data_type": "text",
                "description": "queued, importing, ready, failed, deleted or overwritten.",
            },
            "width": {"data_type": "bigint", "description": "Width in pixels."},
            "height": {"data_type": "bigint", "description": "Height in pixels."},
            "duration": {"data_type": "double", "description": "Length in seconds."},
            "fps": {"data_type": "double", "description": "Frames per second."},
            "created": {"data_type": "timestamp", "description": "When it was ingested, UTC."},
            "updated": {"data_type": "timestamp", "description": "When its status last changed, UTC."},
        },
    },
    "assets": {
        "endpoint": {
            "path": "serve/{version}/assets/{resources.asset_ids.id}",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": ASSET_COLUMNS,
    },
}

DESCRIPTIONS = {
    "renders": "Status, output duration and render time of every tracked Shotstack render.",
    "assets_by_render": "Files Shotstack hosts for each finished render, keyed to the render.",
    "assets": "Hosted Shotstack assets looked up by asset id.",
    "templates": "Saved Shotstack edit templates.",
    "ingest_sources": "Source files ingested into Shotstack and their renditions.",
}

# Serve and Ingest answer JSON:API style: the record, id included, sits in `attributes`
JSONAPI_RESOURCES = ("assets", "assets_by_render", "ingest_sources")

# every table each resource writes, with its columns, so an empty one can still be created
TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "renders": {"renders": RENDER_COLUMNS, NOT_FOUND_TABLE: NOT_FOUND_COLUMNS},
    "assets_by_render": {"assets_by_render": ASSET_COLUMNS},
    **{name: {name: config["columns"]} for name, config in RESOURCES.items()},
}

# each resource's path ({version} and {id} filled in at run time), for errors that must name the
# endpoint when the failure does not carry it
PATHS: dict[str, str] = {
    "renders": RENDER_PATH,
    "assets_by_render": ASSETS_BY_RENDER_PATH,
    **{name: config["endpoint"]["path"] for name, config in RESOURCES.items()},
}
