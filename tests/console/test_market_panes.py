"""Market panes as plain widgets: the fills pane (rows from each fill's own time, today's realised
PnL per symbol and in total), the market strip (funding countdown from the given clock, 24 h,
volume, open interest), the candle chart (time slots, price axis, entry/liq/order lines, rebuilt
only on change) and the grouped ladder; then the keys that drive grouping and the timeframe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.candles import Candle
from core.model import BookLevel, BookView, Fill, Side, Ticker
from tests.support.console_fakes import T0, make_app
from widgets.chart import ChartLevel, PriceChart, slots
from widgets.fills import FillsPane, day_start, summarize
from widgets.ladder import OrderLadder
from widgets.market_header import MarketStrip, fmt_countdown, fmt_rate_pct

D = Decimal
H = 3_600_000


def fill(
    sym: str, side: Side, qty: str, px: str, fee: str, ts: int, pnl: str = "0", maker: bool = False
) -> Fill:
    return Fill(sym, side, D(qty), D(px), D(fee), f"e{ts}{sym}", "o", "l", maker, ts, D(pnl))


FILLS = [
    fill("BTCUSDT", Side.BUY, "0.100", "95000.0", "5.225", T0 + 1 * H),
    fill("BTCUSDT", Side.SELL, "0.100", "95100.0", "2.0922", T0 + 2 * H, pnl="10", maker=True),
    fill("ETHUSDT", Side.SELL, "1.00", "3000.00", "1.65", T0 + 3 * H, pnl="-4.5"),
    fill("ETHUSDT", Side.BUY, "1.00", "2990.00", "1.6", T0 - 2 * H, pnl="99"),  # yesterday
]


# --- fills ------------------------------------------------------------------------------------
def test_summary_counts_only_today_net_of_fees_per_symbol() -> None:
    s = summarize(FILLS, day_start(T0 + 5 * H))
    assert s.count == 3
    assert s.closed == D("5.5") and s.fees == D("8.9672") and s.net == D("-3.4672")
    assert s.by_symbol == {"BTCUSDT": D("10") - D("7.3172"), "ETHUSDT": D("-6.15")}
    assert day_start(T0 + 5 * H) == T0  # T0 is midnight UTC


def test_fills_pane_rows_newest_first_with_fill_times() -> None:
    pane = FillsPane()
    pane.set_fills(FILLS, T0 + 5 * H, places={"BTCUSDT": (1, 3), "ETHUSDT": (2, 2)})
    lines = pane.build_lines(width=100, height=10)
    text = ["".join(t for t, _ in ln) for ln in lines]
    summary = "Today realised net -3.47  fees 8.97  BTCUSDT +2.68  ETHUSDT -6.15"
    assert text[0].startswith(summary)
    assert text[1].split() == ["TIME", "SYMBOL", "SIDE", "QTY", "PRICE", "FEE", "M/T", "PNL"]
    assert text[2].split() == ["03:00:00", "ETHUSDT", "Sell", "1.00", "3,000.00", "1.6500", "taker", "-4.50"]
    assert text[3].split() == [
        "02:00:00",
        "BTCUSDT",
        "Sell",
        "0.100",
        "95,100.0",
        "2.0922",
        "maker",
        "+10.00",
    ]
    assert (
        text[4].split()[:2] == ["01:00:00", "BTCUSDT"] and len(text[4].split()) == 7
    )  # opening fill: no PnL
    classes = [cls for _, cls in lines[3]]
    assert "fills--sell" in classes and "fills--up" in classes


def test_fills_pane_drops_minor_columns_when_narrow_and_waits_when_empty() -> None:
    pane = FillsPane()
    pane.set_fills(FILLS, T0 + 5 * H)
    narrow = ["".join(t for t, _ in ln) for ln in pane.build_lines(width=40, height=6)]
    assert narrow[1].split() == ["TIME", "SIDE", "QTY", "PRICE", "PNL"]
    assert all(len(line.rstrip()) <= 40 for line in narrow[1:])
    empty = FillsPane()
    empty.set_fills([], T0)
    assert "no fills yet" in "".join(t for t, _ in empty.build_lines(60, 5)[2])


# --- market strip -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ms", "text"),
    [(0, "now"), (-5, "now"), (999, "0s"), (45_000, "45s"), (725_000, "12m05s"), (8 * H - 1, "7h59m")],
)
def test_countdown_format(ms: int, text: str) -> None:
    assert fmt_countdown(ms) == text


def test_rate_pct_never_negative_zero() -> None:
    assert fmt_rate_pct(D("0.0001"), 4) == "0.0100%"
    assert fmt_rate_pct(D("-0.00001"), 2, sign=True) == "0.00%"
    assert fmt_rate_pct(D("0.0335"), 2, sign=True) == "+3.35%"


TICKER = Ticker(
    "BTCUSDT",
    D("95000.0"),
    D("95001.5"),
    D("94999.9"),
    D("94999.9"),
    D("95000.1"),
    volume_24h=D("115300"),
    price_24h_pcnt=D("-0.0123"),
    funding_rate=D("-0.00005"),
    ts_ms=T0,
    next_funding_ms=T0 + 8 * H,
    open_interest=D("8000"),
)


def test_market_strip_counts_down_from_the_given_clock_and_fits_narrow() -> None:
    strip = MarketStrip()
    strip.set_ticker("BTCUSDT", TICKER, T0 + 2 * H + 30 * 60_000, price_places=1, base_coin="BTC")
    (line,) = strip.build_lines(200)
    text = "".join(t for t, _ in line)
    assert text == (
        "mark 95,001.5  index 94,999.9  24h ▼-1.23%  vol 115.3k BTC  OI 8,000 BTC  funding -0.0050% in 5h30m"
    )
    assert "mkt--down" in [cls for _, cls in line]
    narrow = "".join(t for t, _ in strip.build_lines(56)[0])
    assert narrow == "mark 95,001.5  24h ▼-1.23%  funding -0.0050% in 5h30m"
    strip.set_ticker("BTCUSDT", None, T0)
    assert "waiting" in "".join(t for t, _ in strip.build_lines(80)[0])


# --- chart -------------------------------------------------------------------------------------
M = 60_000


def candle(i: int, o: float, c: float) -> Candle:
    return Candle(T0 + i * M, o, max(o, c) + 1, min(o, c) - 1, c, 1.0)


CANDLES = [candle(i, 100 + i, 101 + i) for i in range(10)] + [candle(12, 113, 110)]  # 10, 11 missing


def test_slots_leave_gaps_empty() -> None:
    got = slots(CANDLES, 4, M)
    assert [c.start_ms if c else None for c in got] == [T0 + 9 * M, None, None, T0 + 12 * M]


def test_chart_axis_levels_and_pinned_far_levels() -> None:
    chart = PriceChart()
    levels = [ChartLevel(D("105"), "entry"), ChartLevel(D("50"), "liq"), ChartLevel(D("112"), "ask")]
    chart.set_candles("BTCUSDT", "1m", CANDLES, levels, last=D("110"), mark=D("110.5"), price_places=1)
    wide = "".join(t for t, _ in chart.build_lines(width=80, height=10)[0])
    assert wide == "BTCUSDT 1m  last 110.0  mark 110.5  ▼ O 113.0 H 114.0 L 109.0 C 110.0"
    lines = chart.build_lines(width=40, height=10)
    text = ["".join(t for t, _ in ln) for ln in lines]
    assert text[0] == "BTCUSDT 1m  last 110.0  mark 110.5"
    assert len(lines) == 10 and all(len(t) <= 40 for t in text)
    assert text[1].endswith("114.0")  # top of the scale
    assert any(t.endswith(" E105.0") and "╌" in t for t in text)
    assert text[-1].endswith("↓L 50.0")  # far below the candles: pinned to the bottom row
    assert any(t.endswith(" S112.0") for t in text)
    liq_cls = [cls for _, cls in lines[-1]]
    assert "chart--liq" in liq_cls
    assert any(ch in "".join(text[1:]) for ch in "┃╹╻╿╽")


def test_chart_rebuilds_the_plot_only_when_candles_or_levels_change() -> None:
    chart = PriceChart()
    chart.set_candles("BTCUSDT", "1m", CANDLES, last=D("110"), mark=D("110"))
    builds = chart.plot_builds
    assert chart.set_candles("BTCUSDT", "1m", None, last=D("111"), mark=D("111"))  # ticker only
    assert chart.plot_builds == builds and "last 111.00" in "".join(t for t, _ in chart.lines[0])
    assert not chart.set_candles("BTCUSDT", "1m", None, last=D("111"), mark=D("111"))  # nothing new
    chart.set_candles("BTCUSDT", "1m", None, [ChartLevel(D("105"), "bid")], last=D("111"), mark=D("111"))
    assert chart.plot_builds == builds + 1
    chart.set_candles("BTCUSDT", "5m", [], last=None, mark=None)
    assert "waiting for candles" in "".join(t for t, _ in chart.build_lines(40, 10)[1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(1, 1e6), st.floats(1, 1e6), st.floats(0, 0.2)),
        min_size=1,
        max_size=80,
    ),
    st.integers(12, 160),
    st.integers(2, 30),
    st.lists(st.floats(1, 2e6), max_size=4),
)
def test_chart_fits_any_candles_and_levels(
    data: list[tuple[float, float, float]], width: int, height: int, level_prices: list[float]
) -> None:
    candles = [
        Candle(T0 + i * M, o, max(o, c) * (1 + w), min(o, c) * (1 - w), c) for i, (o, c, w) in enumerate(data)
    ]
    chart = PriceChart()
    levels = [
        ChartLevel(D(str(round(p, 2))), k)
        for p, k in zip(level_prices, ["entry", "liq", "bid", "ask"], strict=False)
    ]
    chart.set_candles("X", "1m", candles, levels, last=None, mark=None)
    lines = chart.build_lines(width, height)
    assert len(lines) == height
    axis = [ln for ln in lines[1:] if any(t.strip() for t, _ in ln)]
    assert axis  # something is drawn


# --- ladder grouping ----------------------------------------------------------------------------
def ladder_book() -> BookView:
    bids = tuple(BookLevel(D("100.0") - D("0.1") * i, D("1")) for i in range(40))
    asks = tuple(BookLevel(D("100.1") + D("0.1") * i, D("2")) for i in range(40))
    return BookView("BTCUSDT", bids, asks, 1, 1, T0)


def test_ladder_groups_by_tick_multiples_with_own_orders_and_cumulative_size() -> None:
    lad = OrderLadder()
    own = {D("99.7"): [(Side.BUY, D("0.5"))], D("100.3"): [(Side.SELL, D("0.2"))]}
    lad.set_book("BTCUSDT", ladder_book(), own, price_places=1, qty_places=3, tick=D("0.1"))
    assert lad.cycle_group(1) == D("0.5")
    lines = ["".join(t for t, _ in ln) for ln in lad.build_lines(height=12, width=44)]
    spread = next(i for i, t in enumerate(lines) if "spread" in t)
    assert "spread 0.1 · group 0.5" in lines[spread]
    assert lines[spread - 1].split()[:3] == ["100.5", "10.000", "10.000"]  # 100.1..100.5 grouped up
    assert "◆S0.200" in lines[spread - 1]
    assert lines[spread + 1].split()[:3] == ["100.0", "1.000", "1.000"]  # 100.0 alone
    assert lines[spread + 2].split()[:3] == ["99.5", "5.000", "6.000"]  # 99.9..99.5 grouped down
    assert "◆B0.500" in lines[spread + 2]
    assert lad.cycle_group(10) == D("10.0") and lad.cycle_group(-10) == D("0.1")
    assert "group" not in lad.build_lines(12, 44)[0][0][0]


def test_ladder_without_tick_does_not_group() -> None:
    lad = OrderLadder()
    lad.set_book("BTCUSDT", ladder_book(), None, price_places=1)
    assert lad.cycle_group(1) is None


# --- keys ----------------------------------------------------------------------------------------
async def test_keys_group_the_ladder_and_cycle_the_timeframe() -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        lad = app.main.ladder
        await pilot.press("g", "g")
        assert lad.group_multiple == 10
        assert any("group 1" in "".join(t for t, _ in ln) for ln in lad.lines)
        await pilot.press("G")
        assert lad.group_multiple == 5
        assert app.bridge.timeframe == "1m"
        await pilot.press("f")
        await pilot.pause()
        assert app.bridge.timeframe == "5m"
        assert "".join(t for t, _ in app.main.chart.lines[0]).startswith("BTCUSDT 5m")
        await pilot.press("f", "f", "f")
        assert app.bridge.timeframe == "1m"
