"""The closes the engine hands the correlated-exposure check: read from the market store, rebuilt
only when a series changed."""

from __future__ import annotations

from core.market.candles import Candle
from core.risk.correlation import CloseCache, PriceHistory
from core.store import MarketStore


def bar(i: int, close: float) -> Candle:
    return Candle(i * 60_000, close, close, close, close)


def test_closes_follow_the_store_and_are_reused_until_it_changes() -> None:
    store = MarketStore()
    store.seed_candles("BTCUSDT", "1m", [bar(i, 100.0 + i) for i in range(5)])
    cache = CloseCache(store)
    first = cache.closes(["BTCUSDT", "ETHUSDT"], ("1m", 3))
    assert first["BTCUSDT"] == PriceHistory((120_000, 180_000, 240_000), (102.0, 103.0, 104.0))
    assert first["ETHUSDT"] == PriceHistory((), ())  # no candles yet: an empty history
    again = cache.closes(["BTCUSDT"], ("1m", 3))
    assert again["BTCUSDT"] is first["BTCUSDT"]  # nothing changed: nothing copied
    store.put_candle("BTCUSDT", "1m", bar(4, 99.0))  # the forming bar moved
    moved = cache.closes(["BTCUSDT"], ("1m", 3))["BTCUSDT"]
    assert moved is not first["BTCUSDT"] and moved.closes == (102.0, 103.0, 99.0)
    assert hash(moved) == hash(PriceHistory(moved.starts, moved.closes))
