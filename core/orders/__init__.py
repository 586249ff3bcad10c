"""core.orders package."""
