"""The Hyperliquid adapter built from settings and pointed at the Hyperliquid sim on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from core.config import Settings, load_settings
from core.venues.hyperliquid.rest import HyperliquidVenue
from core.venues.registry import build_venue
from tests.support.hl_sim import AGENT_KEY, HlSim, hl_sim


def sim_settings(sim: HlSim, **overrides: Any) -> Settings:
    """Sim-mode settings for ``venue.name = "hyperliquid"`` on the running sim, with its keys."""
    port = urlparse(sim.base_url).port
    values: dict[str, Any] = {
        "venue": {"name": "hyperliquid"},
        "sim": {"host": "127.0.0.1", "port": port, "api_key": sim.user, "api_secret": AGENT_KEY},
        "risk": {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"]},
    }
    return load_settings(None, **{**values, **overrides})


@pytest.fixture
def hl() -> Iterator[HlSim]:
    with hl_sim(seed=7) as sim:
        yield sim


@pytest.fixture
def venue(hl: HlSim) -> HyperliquidVenue:
    built = build_venue(sim_settings(hl))
    assert isinstance(built, HyperliquidVenue)
    return built
