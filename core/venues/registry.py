"""The composition root for venues: build the configured venue's adapter by name.

The adapter module is imported only here, by name (``importlib``), when a venue is built, so the
engine, the console and the widgets never import an adapter or its client library, not even
indirectly. Each venue package names its adapter in its light ``endpoints`` module (``ADAPTER =
"module:callable"``, see :mod:`core.endpoint_policy`); adding a venue is writing its package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from core.config_files import ConfigError
from core.endpoint_policy import check_venue_endpoint, venue_descriptor

if TYPE_CHECKING:
    from core.config import Settings
    from core.observability.baddata import BadDataTracker
    from core.venues.base import Venue

VenueFactory = Callable[..., "Venue"]
"""``(settings, *, now_ms, bad_data) -> Venue``: what a venue's ``ADAPTER`` names."""


def venue_factory(name: str) -> VenueFactory:
    """The callable that builds the venue called ``name`` (its adapter module is imported now)."""
    _policy, target = venue_descriptor(name)
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr, None)
    if not callable(factory):
        raise ConfigError([("venue.name", f"venue {name!r} names no adapter at {target!r}")])
    return cast(VenueFactory, factory)


def build_venue(
    settings: Settings,
    *,
    now_ms: Callable[[], int] | None = None,
    bad_data: BadDataTracker | None = None,
) -> Venue:
    """The adapter of ``settings.venue.name`` for ``settings.mode``, endpoint-checked.

    Second mode check (invariant 1): the endpoint the built venue will use must belong to the
    mode, or :class:`ConfigError` is raised and the venue is never used.
    """
    venue = venue_factory(settings.venue.name)(settings, now_ms=now_ms, bad_data=bad_data)
    check_venue_endpoint(settings.mode, venue)
    return venue
