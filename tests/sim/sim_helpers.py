"""Helpers shared by the sim venue tests: start a real venue on 127.0.0.1 (port 0), call the admin API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

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


def admin(v: SimVenueThread, path: str, body: dict[str, Any] | None = None, key: str = KEY) -> Any:
    """Call the admin endpoint (GET, or POST with a JSON body)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{v.rest_url}{path}", data=data, headers={"X-SIM-ADMIN": key})
    with urllib.request.urlopen(req, timeout=5) as resp:  # loopback only
        return json.loads(resp.read())
