"""Trade -> OHLCV candles (market data for the chart): alignment, gaps, late trades, bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.candles import CandleAggregator

M = 60_000
T0 = 1_767_225_600_000


def test_ohlcv_in_one_bucket() -> None:
    agg = CandleAggregator(M)
    agg.add_trades(
        [(T0 + 1, 100.0, 1.0), (T0 + 2, 105.0, 2.0), (T0 + 3, 98.0, 0.5), (T0 + 59_999, 101.0, 1.0)]
    )
    (c,) = agg.candles()
    assert (c.start_ms, c.open, c.high, c.low, c.close, c.volume, c.trades) == (T0, 100, 105, 98, 101, 4.5, 4)


def test_gap_filling_and_without() -> None:
    agg = CandleAggregator(M)
    agg.add_trade(T0, 100, 1)
    agg.add_trade(T0 + 3 * M + 5, 110, 1)
    cs = agg.candles()
    assert [c.start_ms for c in cs] == [T0, T0 + M, T0 + 2 * M, T0 + 3 * M]
    assert cs[1].open == cs[1].close == 100 and cs[1].volume == 0
    # a late trade lands in a gap candle and becomes its real OHLC
    agg.add_trade(T0 + M + 10, 103, 2)
    c = agg.candles()[1]
    assert (c.open, c.high, c.low, c.close, c.volume, c.trades) == (103, 103, 103, 103, 2, 1)
    agg2 = CandleAggregator(M, fill_gaps=False)
    agg2.add_trade(T0, 100, 1)
    agg2.add_trade(T0 + 3 * M, 110, 1)
    assert len(agg2) == 2


def test_late_trade_keeps_close_and_too_old_is_dropped() -> None:
    agg = CandleAggregator(M, max_candles=3)
    agg.add_trade(T0, 100, 1)
    agg.add_trade(T0 + 10, 101, 1)
    agg.add_trade(T0 + M, 102, 1)
    agg.add_trade(T0 + 5, 99, 1)  # late, into the first candle
    first = agg.candles()[0]
    assert first.low == 99 and first.close == 101 and first.volume == 3
    agg.add_trade(T0 + 10 * M, 120, 1)
    assert len(agg) == 3
    agg.add_trade(T0 + 5, 1, 1)
    assert agg.dropped == 1


@settings(max_examples=60, deadline=None)
@given(
    trades=st.lists(
        st.tuples(st.integers(0, 50 * M), st.floats(1, 1e5), st.floats(0, 10)), min_size=1, max_size=200
    ).map(sorted),
    cap=st.integers(1, 30),
)
def test_bounded_and_consistent(trades: list[tuple[int, float, float]], cap: int) -> None:
    agg = CandleAggregator(M, max_candles=cap)
    for ts, p, q in trades:
        agg.add_trade(T0 + ts, p, q)
    cs = agg.candles()
    assert 1 <= len(cs) <= cap
    starts = [c.start_ms for c in cs]
    assert starts == sorted(starts) and all(s % M == 0 for s in starts)
    assert all(b - a == M for a, b in zip(starts, starts[1:], strict=False))  # gap-filled, regular
    for c in cs:
        assert c.low <= min(c.open, c.close) and c.high >= max(c.open, c.close)
    # the last candle's close is the last trade's price
    assert cs[-1].close == trades[-1][1]


def test_for_interval() -> None:
    assert CandleAggregator.for_interval("5m").interval_ms == 300_000
    with pytest.raises(ValueError):
        CandleAggregator.for_interval("7m")
