"""Usage summaries over the warehouse: SQL assets in group `usage` and the checks that guard them."""
