"""Reusable panes. A widget renders plain data it is given; it never calls the engine."""
