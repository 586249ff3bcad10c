"""The scenario fixtures trade the symbols a scenario asks for: ``BTCUSDT`` alone by default, the
``symbols`` marker's otherwise, on the engine (``risk.symbols``) and, in process, on the venue's
market too; a ``risk`` override keeps them unless it names ``symbols`` itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.venue_under_test import IN_PROCESS, InProcessVenue, VenueUnderTest


@IN_PROCESS
def test_a_scenario_trades_one_symbol_unless_it_asks(venue: VenueUnderTest, tmp_path: Path) -> None:
    assert isinstance(venue, InProcessVenue)
    assert venue.settings(tmp_path).risk.symbols == ("BTCUSDT",)
    assert venue.settings(tmp_path, risk={"max_open_orders": 5}).risk.symbols == ("BTCUSDT",)
    assert list(venue.exchange.gen.symbols) == ["BTCUSDT"]


@IN_PROCESS
@pytest.mark.symbols("BTCUSDT", "ETHUSDT")
def test_a_scenario_that_asks_trades_its_symbols(venue: VenueUnderTest, tmp_path: Path) -> None:
    assert isinstance(venue, InProcessVenue)
    assert venue.settings(tmp_path).risk.symbols == ("BTCUSDT", "ETHUSDT")
    assert list(venue.exchange.gen.symbols) == ["BTCUSDT", "ETHUSDT"]
    named = venue.settings(tmp_path, risk={"symbols": ["BTCUSDT", "SOLUSDT"]})
    assert named.risk.symbols == ("BTCUSDT", "SOLUSDT")  # a test naming risk.symbols itself wins
