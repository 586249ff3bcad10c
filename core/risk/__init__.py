"""core.risk package."""
