"""Engine scenario fixtures: a real sim venue on loopback and a real engine (pybit HTTP + WS) on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pybit.unified_trading import HTTP

from core.config import Settings, SimSettings, load_settings
from core.engine import Engine
from core.sim.runner import SimVenueThread


def sim_settings(**overrides: Any) -> SimSettings:
    """Sim settings for tests: free port, fast acks, a lively market."""
    base: dict[str, Any] = {"port": 0, "seed": 7, "market_rate_hz": 20.0}
    base.update(overrides)
    return SimSettings(**base)


@pytest.fixture
def sim() -> Iterator[SimVenueThread]:
    venue = SimVenueThread(sim_settings()).start()
    try:
        yield venue
    finally:
        venue.stop()


def engine_settings(venue: SimVenueThread, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings pointing at ``venue`` with a private journal and metrics off."""
    sim = venue.settings.model_copy(update={"port": venue.port})
    base: dict[str, Any] = {
        "sim": sim,
        "journal": {"path": str(tmp_path / "journal.db")},
        "metrics": {"enabled": False},
    }
    base.update(overrides)
    return load_settings(**base)


@pytest.fixture
async def engine(sim: SimVenueThread, tmp_path: Path) -> AsyncIterator[Engine]:
    eng = Engine(engine_settings(sim, tmp_path))
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()


def venue_http(venue: SimVenueThread) -> HTTP:
    """An independent pybit session on the sim, to check the venue's own view."""
    s = HTTP(
        testnet=False,
        api_key=venue.settings.api_key,
        api_secret=venue.settings.api_secret.get_secret_value(),
        retry_codes={-1},
        max_retries=1,
    )
    s.endpoint = venue.rest_url
    return s


def venue_open_orders(venue: SimVenueThread) -> list[dict[str, Any]]:
    """Open orders as the venue sees them."""
    res = venue_http(venue).get_open_orders(category="linear", settleCoin="USDT", limit=50)
    return list(res["result"]["list"])


def venue_positions(venue: SimVenueThread) -> list[dict[str, Any]]:
    """Non-flat positions as the venue sees them."""
    res = venue_http(venue).get_positions(category="linear", settleCoin="USDT")
    return [p for p in res["result"]["list"] if float(p["size"]) > 0]
