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
    "id": {"data_type": "text", "nullable": False},
    "version": {"data_type": "text", "nullable": False},
    "owner": {"data_type": "text"},
    "plan": {"data_type": "text"},
    "status": {"data_type": "text", "nullable": False},
    "error": {"data_type": "text"},
    "duration": {"data_type": "double"},
    "render_time": {"data_type": "double"},
    "url": {"data_type": "text"},
    "poster": {"data_type": "text"},
    "thumbnail": {"data_type": "text"},
    "created": {"data_type": "timestamp"},
    "updated": {"data_type": "timestamp"},
}
ASSET_COLUMNS: dict[str, Any] = {
    "id": {"data_type": "text", "nullable": False},
    "owner": {"data_type": "text"},
    "region": {"data_type": "text"},
    "render_id": {"data_type": "text"},
    "provider_id": {"data_type": "text"},
    "filename": {"data_type": "text"},
    "url": {"data_type": "text"},
    "status": {"data_type": "text"},
    "created": {"data_type": "timestamp"},
    "updated": {"data_type": "timestamp"},
}
NOT_FOUND_TABLE = "renders_not_found"
NOT_FOUND_COLUMNS: dict[str, Any] = {
    "id": {"data_type": "text", "nullable": False},
    "version": {"data_type": "text", "nullable": False},
    "status": {"data_type": "text", "nullable": False},
    "checked_at": {"data_type": "timestamp", "nullable": False},
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
            "id": {"data_type": "text", "nullable": False},
            "name": {"data_type": "text"},
            "created": {"data_type": "timestamp"},
            "updated": {"data_type": "timestamp"},
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
            "id": {"data_type": "text", "nullable": False},
            "owner": {"data_type": "text"},
            "input": {"data_type": "text"},
            "source": {"data_type": "text"},
            "status": {"data_type": "text"},
            "width": {"data_type": "bigint"},
            "height": {"data_type": "bigint"},
            "duration": {"data_type": "double"},
            "fps": {"data_type": "double"},
            "created": {"data_type": "timestamp"},
            "updated": {"data_type": "timestamp"},
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
