"""Fixtures the strategy tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.strategy.portfolio import Portfolio
from tests.support.portfolio_rig import POLL_S, Rig
from tests.support.venue_under_test import InProcessVenue


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """A started engine on the in-process venue and a portfolio on it; both closed after the test."""
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path))
    await engine.start()
    portfolio = Portfolio(engine, poll_s=POLL_S)
    try:
        yield Rig(venue, engine, portfolio, tmp_path / "journal.db")
    finally:
        await portfolio.close()
        await engine.stop()
