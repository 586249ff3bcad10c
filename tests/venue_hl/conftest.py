"""The Hyperliquid adapter built from settings and pointed at the Hyperliquid sim on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.engine import Engine
from core.venues.hyperliquid.rest import HyperliquidVenue
from core.venues.registry import build_venue
from tests.support.hl_sim import HlSim, hl_sim, sim_settings


@pytest.fixture
def hl() -> Iterator[HlSim]:
    with hl_sim(seed=7) as sim:
        yield sim


@pytest.fixture
def venue(hl: HlSim) -> HyperliquidVenue:
    built = build_venue(sim_settings(hl))
    assert isinstance(built, HyperliquidVenue)
    return built


@pytest.fixture
async def engine(hl: HlSim, tmp_path: Path) -> AsyncIterator[Engine]:
    """A started engine on the Hyperliquid sim (ETHUSDT selected), journal under ``tmp_path``."""
    settings = sim_settings(
        hl,
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        ui={"default_symbol": "ETHUSDT"},
    )
    eng = Engine(settings)
    await eng.start()
    try:
        yield eng
    finally:
        await eng.stop()
