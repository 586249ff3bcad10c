"""An order for a configured symbol before the venue has answered says so, not that the symbol is
not configured (which sent the trader to a config that was right)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.model import OrderRequest, OrderType, Side
from tests.support.venue_under_test import InProcessVenue


async def test_before_the_venue_answers_the_reason_is_the_venue_not_the_config(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = venue.engine(venue.settings(tmp_path))
    early = engine.preview(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.01")))
    assert early.build_error == (
        "symbol_allowlist: BTCUSDT: its instrument is not loaded yet "
        "(the venue has not answered since start-up)"
    )
    await engine.start()
    try:
        other = engine.preview(OrderRequest("DOGEUSDT", Side.BUY, Decimal("1")))
        assert other.build_error == "symbol_allowlist: DOGEUSDT is not a configured, listed symbol"
        market = OrderRequest("BTCUSDT", Side.BUY, Decimal("0.01"), order_type=OrderType.MARKET)
        assert engine.preview(market).build_error == ""
    finally:
        await engine.stop()
