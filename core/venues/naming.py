"""Venue-qualified symbols, as the venues package names them: see :mod:`core.venue_symbols`
(kept outside ``core.venues`` so that widgets, which never import a venue, may label rows)."""

from core.venue_symbols import (
    PRIMARY_VENUE,
    QUALIFIED_RE,
    SEPARATOR,
    SHORT_LABELS,
    SUFFIXES,
    asset_of,
    is_qualified,
    on_venue,
    split,
    venue_label,
    venue_of,
)

__all__ = [
    "PRIMARY_VENUE",
    "QUALIFIED_RE",
    "SEPARATOR",
    "SHORT_LABELS",
    "SUFFIXES",
    "asset_of",
    "is_qualified",
    "on_venue",
    "split",
    "venue_label",
    "venue_of",
]
