"""core.venues package."""
