"""Building the composite venue from settings (the registry's adapter for ``venue.name = "multi"``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.venues.multi.legs import leg_settings
from core.venues.multi.venue import MultiVenue

if TYPE_CHECKING:
    from core.config import Settings
    from core.observability.baddata import BadDataTracker


def build_multi(
    settings: Settings,
    *,
    now_ms: Callable[[], int] | None = None,
    bad_data: BadDataTracker | None = None,
) -> MultiVenue:
    """Build every leg of ``venue.legs`` through the registry (each endpoint-checked by its own
    venue's policy) and compose them."""
    from core.venues.registry import build_venue

    legs = [
        build_venue(leg_settings(settings, i), now_ms=now_ms, bad_data=bad_data)
        for i in range(len(settings.venue.legs))
    ]
    return MultiVenue(legs)


__all__ = ["build_multi"]
