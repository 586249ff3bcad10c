"""Fixtures: a real sim venue on 127.0.0.1 (port 0) in a background thread, a factory for venues with
other settings, and the venue's admin endpoint."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from core.clock import SystemClock
from core.config import SIM_API_KEY, SimSettings
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import Admin, MakeVenue


def _make_venue(**overrides: Any) -> SimVenueThread:
    scale = overrides.pop("limits_scale", 1.0)
    settings = SimSettings(port=0, **{"market_rate_hz": 50.0, **overrides})
    clock = SystemClock()
    exchange = SimExchange(seed=settings.seed, clock=clock, starting_balance=settings.starting_balance)
    return SimVenueThread(settings, clock, exchange=exchange, limits_scale=scale).start()


def _admin(
    venue: SimVenueThread, path: str, body: dict[str, Any] | None = None, key: str = SIM_API_KEY
) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{venue.rest_url}{path}", data=data, headers={"X-SIM-ADMIN": key})
    with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
        return json.loads(resp.read())


@pytest.fixture(scope="session")
def make_venue() -> MakeVenue:
    """Start a venue on a free loopback port (``limits_scale`` goes to the server, the rest to its
    settings); the caller stops it."""
    return _make_venue


@pytest.fixture(scope="session")
def admin() -> Admin:
    """Call a venue's admin endpoint (GET, or POST with a JSON body)."""
    return _admin


@pytest.fixture(scope="module")
def venue(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    """A venue with rate limits enforced at 100x the Bybit defaults (so tests never trip them)."""
    v = make_venue(limits_scale=100.0)
    yield v
    v.stop()
