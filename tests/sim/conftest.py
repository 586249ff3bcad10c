"""Fixtures: a real sim venue on 127.0.0.1 (port 0) in a background thread."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.clock import SystemClock
from core.config import SIM_API_KEY, SIM_API_SECRET, SimSettings
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread

KEY, SECRET = SIM_API_KEY, SIM_API_SECRET


def make_venue(**overrides: Any) -> SimVenueThread:
    """A started venue on a free loopback port (``limits_scale`` goes to the server)."""
    scale = overrides.pop("limits_scale", 1.0)
    settings = SimSettings(port=0, **{"market_rate_hz": 50.0, **overrides})
    clock = SystemClock()
    exchange = SimExchange(seed=settings.seed, clock=clock, starting_balance=settings.starting_balance)
    return SimVenueThread(settings, clock, exchange=exchange, limits_scale=scale).start()


@pytest.fixture(scope="module")
def venue() -> Iterator[SimVenueThread]:
    """A venue with rate limits enforced at 100x the Bybit defaults (so tests never trip them)."""
    v = make_venue(limits_scale=100.0)
    yield v
    v.stop()


def admin(v: SimVenueThread, path: str, body: dict[str, Any] | None = None, key: str = KEY) -> Any:
    """Call the admin endpoint (GET, or POST with a JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{v.rest_url}{path}", data=data, headers={"X-SIM-ADMIN": key})
    with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
        return json.loads(resp.read())


@pytest.fixture
def admin_call(venue: SimVenueThread) -> Callable[..., Any]:
    """``admin_call("/sim/admin/stats")`` against the module's venue."""
    return lambda path, body=None: admin(venue, path, body)
