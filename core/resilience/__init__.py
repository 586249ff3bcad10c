"""core.resilience package."""
