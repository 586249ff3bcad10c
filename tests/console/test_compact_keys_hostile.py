"""Keys a newcomer presses at 80x24, on the real engine and the in-process venue: ``f`` (chart
timeframe) changes a pane the compact layout hides, so it says what it did and where the chart
is; at 160x50, where the chart shows, it says nothing more (the chart's title shows the change).
Before: ``f`` at 80x24 changed an invisible timeframe without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.app import TradeConsoleApp
from tests.support.strategy_console import advance_until
from tests.support.venue_under_test import InProcessVenue


@pytest.mark.parametrize(("size", "told"), [((80, 24), True), ((160, 50), False)])
async def test_chart_timeframe_key_says_what_it_did_when_the_chart_is_hidden(
    tmp_path: Path, size: tuple[int, int], told: bool
) -> None:
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)
    async with app.run_test(size=size) as pilot:
        await advance_until(pilot, venue, lambda: app.engine_started, "engine up")
        app._notifications.clear()
        await pilot.press("f")
        await pilot.pause()
        assert app.bridge.timeframe == "5m"
        assert app.main.chart.display is not told
        messages = [str(n.message) for n in app._notifications]
        assert any("chart timeframe 5m" in m and "hidden at this size" in m for m in messages) is told, (
            messages
        )
