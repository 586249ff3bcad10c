"""Fixtures: a real sim venue on 127.0.0.1 (port 0) in a background thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sim_helpers import make_venue

from core.sim.runner import SimVenueThread


@pytest.fixture(scope="module")
def venue() -> Iterator[SimVenueThread]:
    """A venue with rate limits enforced at 100x the Bybit defaults (so tests never trip them)."""
    v = make_venue(limits_scale=100.0)
    yield v
    v.stop()
