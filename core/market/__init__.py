"""core.market package."""
