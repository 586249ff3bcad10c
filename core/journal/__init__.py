"""core.journal package."""
