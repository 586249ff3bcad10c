"""Chart history: the engine loads ``ui.chart_history`` candles per symbol and timeframe (the
in-process venue, virtual clock), and settings that could not hold a correlation window of
returns are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings
from core.market.candles import TIMEFRAMES
from tests.support.venue_under_test import InProcessVenue

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
MAX_PAGE = 1000


@pytest.mark.parametrize("bars", [61, 150, 300])
async def test_the_engine_loads_as_many_candles_as_configured(tmp_path: Path, bars: int) -> None:
    inproc = InProcessVenue()
    engine = inproc.engine(inproc.settings(tmp_path, ui={"chart_history": bars}))
    await engine.start()
    try:
        task = engine.streams.candle_task
        assert task is not None
        await task
        for sym in SYMBOLS:
            for tf in TIMEFRAMES:
                held = len(inproc.venue.klines(sym, tf, MAX_PAGE))  # a day of history at most
                assert len(engine.store.candles(sym, tf)) == min(bars, held), (sym, tf)
    finally:
        await engine.stop()


def test_fewer_candles_than_a_correlation_window_needs_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(risk={"correlation_window": 60}, ui={"chart_history": 60})
    assert "ui.chart_history" in str(err.value) and "at least 61" in str(err.value)
    assert load_settings(risk={"correlation_window": 60}, ui={"chart_history": 61}).ui.chart_history == 61
