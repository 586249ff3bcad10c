"""core.venues.bybit package."""
