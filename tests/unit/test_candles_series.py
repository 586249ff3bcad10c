"""Venue candles for the chart: kline pushes upsert the current candle, REST history merges under
them, memory stays bounded; Bybit kline JSON (WS push and REST rows) parses oldest first; the store
keeps candles per symbol/timeframe and the account's fills."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.candles import Candle, CandleSeries
from core.model import Fill, Side
from core.store import MarketStore
from core.venues.bybit import parse

M = 60_000


def c(start: int, close: float, volume: float = 1.0) -> Candle:
    return Candle(start * M, close, close + 1, close - 1, close, volume)


def test_push_appends_new_and_replaces_current() -> None:
    s = CandleSeries(max_candles=3)
    s.upsert(c(1, 100))
    s.upsert(c(1, 101, 2))
    s.upsert(c(2, 102))
    assert [(x.start_ms, x.close, x.volume) for x in s.candles()] == [(M, 101, 2), (2 * M, 102, 1)]
    s.upsert(c(3, 103))
    s.upsert(c(4, 104))
    assert [x.start_ms for x in s.candles()] == [2 * M, 3 * M, 4 * M]
    assert [x.start_ms for x in s.candles(2)] == [3 * M, 4 * M]
    assert s.candles(0) == []


def test_seed_fills_history_without_overwriting_pushes() -> None:
    s = CandleSeries(max_candles=10)
    s.upsert(c(5, 500))
    v = s.version
    s.seed([c(5, 1), c(3, 300), c(4, 400)])  # REST's copy of candle 5 is older than the push
    assert [(x.start_ms // M, x.close) for x in s.candles()] == [(3, 300), (4, 400), (5, 500)]
    assert s.version > v
    v = s.version
    s.seed([c(4, 1)])
    assert s.version == v  # nothing new: readers skip the frame


def test_candles_are_copies() -> None:
    s = CandleSeries()
    s.upsert(c(1, 100))
    s.candles()[0].close = -1
    assert s.candles()[0].close == 100


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.integers(0, 40), min_size=1, max_size=5)),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 20),
)
def test_series_sorted_unique_bounded_and_pushes_win(ops: list[tuple[bool, list[int]]], cap: int) -> None:
    s = CandleSeries(max_candles=cap)
    pushed: dict[int, float] = {}
    for n, (is_push, starts) in enumerate(ops):
        if is_push:
            s.upsert(c(starts[0], 1000 + n))
            pushed[starts[0] * M] = 1000 + n
        else:
            s.seed([c(x, float(n)) for x in starts])
    got = s.candles()
    assert len(got) <= cap
    assert all(a.start_ms < b.start_ms for a, b in zip(got, got[1:], strict=False))
    for x in got:
        if x.start_ms in pushed:
            assert x.close == pushed[x.start_ms]


def test_parse_kline_push_and_rest_rows() -> None:
    item = {
        "start": 1_700_000_040_000,
        "end": 1_700_000_099_999,
        "interval": "1",
        "open": "95000.1",
        "close": "95010.5",
        "high": "95020",
        "low": "94990.2",
        "volume": "12.345",
        "turnover": "1172829.3",
        "confirm": False,
        "timestamp": 1_700_000_050_000,
    }
    k = parse.kline(item)
    assert (k.start_ms, k.open, k.high, k.low, k.close, k.volume) == (
        1_700_000_040_000,
        95000.1,
        95020.0,
        94990.2,
        95010.5,
        12.345,
    )
    rows = [["120000", "2", "3", "1", "2.5", "10", "25"], ["60000", "1", "2", "0.5", "2", "5", "10"]]
    got = parse.kline_rows(rows)  # REST lists newest first
    assert [x.start_ms for x in got] == [60_000, 120_000]
    assert got[1].close == 2.5


def test_parse_ticker_market_fields() -> None:
    t = parse.ticker(
        {
            "symbol": "BTCUSDT",
            "lastPrice": "95000",
            "markPrice": "95001",
            "indexPrice": "94999",
            "price24hPcnt": "-0.0123",
            "volume24h": "1234.5",
            "turnover24h": "117277500",
            "openInterest": "8000",
            "openInterestValue": "760000000",
            "fundingRate": "0.0001",
            "nextFundingTime": "1700006400000",
            "highPrice24h": "96000",
            "lowPrice24h": "94000",
            "prevPrice24h": "96180",
        },
        1_700_000_000_000,
    )
    assert t.next_funding_ms == 1_700_006_400_000
    assert (t.open_interest, t.turnover_24h, t.funding_rate) == (
        Decimal(8000),
        Decimal(117277500),
        Decimal("0.0001"),
    )
    assert (t.high_24h, t.low_24h, t.prev_price_24h) == (Decimal(96000), Decimal(94000), Decimal(96180))
    assert parse.ticker({"symbol": "X"}, 0).next_funding_ms == 0


def test_store_candles_and_fills() -> None:
    store = MarketStore(fills=2)
    assert store.candles_version("BTCUSDT", "1m") == -1
    assert store.candles("BTCUSDT", "1m") == []
    store.seed_candles("BTCUSDT", "1m", [c(1, 100), c(2, 101)])
    v = store.candles_version("BTCUSDT", "1m")
    store.put_candle("BTCUSDT", "1m", c(2, 105))
    assert store.candles_version("BTCUSDT", "1m") > v
    assert [x.close for x in store.candles("BTCUSDT", "1m")] == [100, 105]
    assert store.candles("BTCUSDT", "5m") == []
    fv = store.fills_version
    for i in range(3):
        store.put_fill(
            Fill("BTCUSDT", Side.BUY, Decimal(1), Decimal(100), Decimal(0), f"e{i}", "o", "l", False, i)
        )
    assert [f.exec_id for f in store.fills()] == ["e1", "e2"]  # bounded
    assert [f.exec_id for f in store.fills(1)] == ["e2"]
    assert store.fills_version == fv + 3
