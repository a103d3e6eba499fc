"""Picsart endpoint table: every resource's path, selector, paging, key and disposition, written once."""

from typing import Any

BASE_URL = "https://api.picsart.io"
API_KEY_HEADER = "X-Picsart-API-Key"
# one budget per account for every endpoint: 500 requests per 60-second window
RATE_BUCKET = "picsart"
RATE_LIMITS = {RATE_BUCKET: 500}
# a 429 says when the window ends, in epoch seconds; dlt reads only Retry-After
RATE_RESET_HEADER = "X-Picsart-Ratelimit-Reset-Time"
PAGE_SIZE = 100
IMAGE_SEARCH_QUERY = "nature"

# the balance is a point-in-time number, so every read is kept as a snapshot
BALANCE_PATH = "tools/1.0/balance"
BALANCE_COLUMNS: dict[str, Any] = {
    "taken_at": {"data_type": "timestamp", "nullable": False},
    "credits": {"data_type": "bigint", "nullable": False},
}

# endpoints the product brief lists but Picsart's published specification does not
BRIEF_ONLY = ("image_search", "image_trending", "video_tools_info", "genai_models")

# the brief's paging: `page` and `page_size` parameters, `next_page` while more data remains
NEXT_PAGE = {"type": "cursor", "cursor_path": "next_page", "cursor_param": "page"}

RESOURCES: dict[str, dict[str, Any]] = {
    "effects": {
        "endpoint": {
            "path": "tools/1.0/effects",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "name",
        "write_disposition": "merge",
        "columns": {"name": {"data_type": "text", "nullable": False}},
    },
    "ai_effects": {
        "endpoint": {
            "path": "tools/1.0/effects/ai",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "name",
        "write_disposition": "merge",
        "columns": {"name": {"data_type": "text", "nullable": False}},
    },
    "image_search": {
        "endpoint": {
            "path": "image-tools/search",
            "params": {"page_size": PAGE_SIZE},
            "data_selector": "results",
            "paginator": NEXT_PAGE,
        },
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": {
            "id": {"data_type": "text", "nullable": False},
            "title": {"data_type": "text"},
            "url": {"data_type": "text"},
            "width": {"data_type": "bigint"},
            "height": {"data_type": "bigint"},
            "created": {"data_type": "timestamp"},
        },
    },
    "image_trending": {
        "endpoint": {
            "path": "image-tools/trending",
            "params": {"page_size": PAGE_SIZE},
            "data_selector": "items",
            "paginator": NEXT_PAGE,
        },
        "primary_key": "id",
        "write_disposition": "replace",
        "columns": {
            "id": {"data_type": "text", "nullable": False},
            "title": {"data_type": "text"},
            "url": {"data_type": "text"},
            "rank": {"data_type": "bigint"},
            "score": {"data_type": "double"},
        },
    },
    "video_tools_info": {
        "endpoint": {
            "path": "video-tools/info",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "service",
        "write_disposition": "merge",
        "columns": {
            "service": {"data_type": "text", "nullable": False},
            "version": {"data_type": "text"},
            "max_duration_seconds": {"data_type": "double"},
            "max_resolution": {"data_type": "text"},
        },
    },
    "genai_models": {
        "endpoint": {
            "path": "genai-tools/models",
            "params": {"page_size": PAGE_SIZE},
            "data_selector": "models",
            "paginator": NEXT_PAGE,
        },
        "primary_key": "id",
        "write_disposition": "merge",
        "columns": {
            "id": {"data_type": "text", "nullable": False},
            "name": {"data_type": "text"},
            "kind": {"data_type": "text"},
            "credits_per_call": {"data_type": "double"},
            "created": {"data_type": "timestamp"},
        },
    },
}

DESCRIPTIONS = {
    "balance": "Picsart credit balance, one snapshot per read, stamped with the server's time.",
    "effects": "Picsart image effects available to the account.",
    "ai_effects": "Picsart AI effects available to the account.",
    "image_search": "Images matching the configured search query (brief-only endpoint).",
    "image_trending": "Currently trending images (brief-only endpoint).",
    "video_tools_info": "Video tools service description (brief-only endpoint).",
    "genai_models": "GenAI models and their credit cost per call (brief-only endpoint).",
}

# every table each resource writes, with its columns, so an empty one can still be created
TABLES: dict[str, dict[str, dict[str, Any]]] = {
    "balance": {"balance": BALANCE_COLUMNS},
    **{name: {name: config["columns"]} for name, config in RESOURCES.items()},
}

# each resource's path, for errors that must name the endpoint when the failure does not carry it
PATHS: dict[str, str] = {
    "balance": BALANCE_PATH,
    **{name: config["endpoint"]["path"] for name, config in RESOURCES.items()},
}
