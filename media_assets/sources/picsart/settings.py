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
    "taken_at": {
        "data_type": "timestamp",
        "nullable": False,
        "description": "When the balance was read: the API's Date header, UTC.",
    },
    "credits": {
        "data_type": "bigint",
        "nullable": False,
        "description": "Credits left on the account at that moment.",
    },
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
        "columns": {
            "name": {
                "data_type": "text",
                "nullable": False,
                "description": "The effect's name, as the effects endpoints take it.",
            }
        },
    },
    "ai_effects": {
        "endpoint": {
            "path": "tools/1.0/effects/ai",
            "data_selector": "data",
            "paginator": "single_page",
        },
        "primary_key": "name",
        "write_disposition": "merge",
        "columns": {
            "name": {
                "data_type": "text",
                "nullable": False,
                "description": "The AI effect's name, as the effects endpoints take it.",
            }
        },
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
            "id": {"data_type": "text", "nullable": False, "description": "The image's id."},
            "title": {"data_type": "text", "description": "The image's title."},
            "url": {"data_type": "text", "description": "Where the image is served."},
            "width": {"data_type": "bigint", "description": "Width in pixels."},
            "height": {"data_type": "bigint", "description": "Height in pixels."},
            "created": {"data_type": "timestamp", "description": "When the image was published, UTC."},
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
            "id": {"data_type": "text", "nullable": False, "description": "The image's id."},
            "title": {"data_type": "text", "description": "The image's title."},
            "url": {"data_type": "text", "description": "Where the image is served."},
            "rank": {"data_type": "bigint", "description": "Place in the trending list, 1 first."},
            "score": {"data_type": "double", "description": "The API's trending score; higher ranks first."},
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
            "service": {
                "data_type": "text",
                "nullable": False,
                "description": "The video tools service's name.",
            },
            "version": {"data_type": "text", "description": "Its API version."},
            "max_duration_seconds": {
                "data_type": "double",
                "description": "Longest input video it accepts, in seconds.",
            },
            "max_resolution": {
                "data_type": "text",
                "description": "Largest output it renders, width x height in pixels.",
            },
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
            "id": {"data_type": "text", "nullable": False, "description": "The model's id."},
            "name": {"data_type": "text", "description": "The model's name."},
            "kind": {
                "data_type": "text",
                "description": "Its task: text2image, image2image, inpainting, upscale or background.",
            },
            "credits_per_call": {
                "data_type": "double",
                "description": "Credits one call to the model costs.",
            },
            "created": {"data_type": "timestamp", "description": "When the model was published, UTC."},
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
