"""Usage summaries over the warehouse: SQL assets in group `usage` and the checks that guard them."""

from .assets import assets
from .checks import checks

__all__ = ["assets", "checks"]
