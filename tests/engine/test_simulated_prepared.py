"""A prepared in-process venue is an independent copy that steps exactly as a freshly built one."""

from __future__ import annotations

import pytest

from core.clock import FrozenClock
from core.venues.simulated import SimulatedVenue
from core.venues.simulated.venue import API_KEY
from core.venues.values import BadValue


def _run(venue: SimulatedVenue) -> str:
    """Step the market, trade once, and read back what the exchange shows."""
    seen: list[object] = []
    for i in range(120):
        venue.advance(venue.tick_ms)
        if i == 40:
            order = {
                "category": "linear",
                "symbol": "BTCUSDT",
                "side": "Buy",
                "orderType": "Market",
                "qty": "0.01",
            }
            venue.exchange.order_create(API_KEY, order)
    for sym in ("BTCUSDT", "ETHUSDT"):
        seen.append(venue.exchange.orderbook({"category": "linear", "symbol": sym, "limit": 50}))
        seen.append(venue.exchange.kline({"category": "linear", "symbol": sym, "interval": "1", "limit": 50}))
    seen.append(venue.exchange.position_list(API_KEY, {"category": "linear", "symbol": "BTCUSDT"}))
    seen.append(venue.exchange.account_wallet_balance(API_KEY, {"accountType": "UNIFIED"}))
    return repr(seen)


def test_a_prepared_copy_steps_like_a_fresh_build() -> None:
    fresh = _run(SimulatedVenue(FrozenClock(), seed=7))
    assert _run(SimulatedVenue.prepared(seed=7)) == fresh
    assert _run(SimulatedVenue.prepared(seed=7)) == fresh  # the second copy is untouched by the first


def test_copies_are_independent() -> None:
    first = SimulatedVenue.prepared(seed=7)
    second = SimulatedVenue.prepared(seed=7)
    assert first.exchange is not second.exchange and first.clock is not second.clock
    first.advance(1_000)
    assert second.clock.now_ms() == FrozenClock().now_ms()
    assert first.exchange.gen.last_ms != second.exchange.gen.last_ms


def test_another_seed_is_another_market() -> None:
    assert _run(SimulatedVenue.prepared(seed=8)) != _run(SimulatedVenue.prepared(seed=7))


def test_chart_history_reads_as_the_codec_reads_it_every_time() -> None:
    from core.venues.bybit import parse
    from core.venues.simulated.klines import kline_candles

    venue = SimulatedVenue.prepared(seed=7)
    params = {"category": "linear", "symbol": "BTCUSDT", "interval": "5", "limit": 200}
    rows = venue.exchange.kline(params)["list"]
    assert isinstance(rows, list)
    first, again = venue.klines("BTCUSDT", "5m", 200), venue.klines("BTCUSDT", "5m", 200)
    assert first == again == parse.kline_rows(rows)
    first[-1].add(first[-1].close, 1.0)  # a chart folding a trade into its last bar
    assert venue.klines("BTCUSDT", "5m", 200)[-1] == again[-1] != first[-1]
    bad = [list(rows[0])]
    bad[0][2] = "NaN"
    with pytest.raises(BadValue):
        kline_candles(bad)
