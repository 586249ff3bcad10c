"""Keys a newcomer presses at 80x24, on the real engine and the in-process venue: ``f`` (chart
timeframe) changes a pane the compact layout hides, so it says what it did and where the chart
is; at 160x50, where the chart shows, it says nothing more (the chart's title shows the change).
Before: ``f`` at 80x24 changed an invisible timeframe without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.venue_console import console_on_venue


@pytest.mark.parametrize(("size", "told"), [((80, 24), True), ((160, 50), False)])
async def test_chart_timeframe_key_says_what_it_did_when_the_chart_is_hidden(
    tmp_path: Path, size: tuple[int, int], told: bool
) -> None:
    async with console_on_venue(tmp_path, size) as (venue, app, engine, pilot):
        app._notifications.clear()
        await pilot.press("f")
        await pilot.pause()
        assert app.bridge.timeframe == "5m"
        assert app.main.chart.display is not told
        messages = [str(n.message) for n in app._notifications]
        assert any("chart timeframe 5m" in m and "hidden at this size" in m for m in messages) is told, (
            messages
        )
