"""core.sim package."""
