"""Market panes on a running sim venue with the real engine (pybit HTTP + WebSockets on loopback):
funding, 24 h and open interest from the tickers stream in the market strip; candle history over
REST and live kline pushes in the chart; an order's fills in the fills pane with the venue's fee and
realised PnL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.market.candles import TIMEFRAMES
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, RealApp, WaitUntil
from tests.support.engine_types import VenueHttp, VenueRows
from widgets.lines import LineWidget

QTY = Decimal("0.010")


def _shown(pane: LineWidget) -> list[str]:
    """The pane's lines as plain text."""
    return ["".join(text for text, _ in line) for line in pane.lines]


async def test_strip_and_chart_fill_from_the_venue_streams(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        strip = app.main.market_strip
        await wait_until(pilot, lambda: "funding" in "".join(_shown(strip)), "the market strip")
        ticker = engine.store.ticker(SYM)
        assert ticker is not None
        assert ticker.next_funding_ms > app.clock.now_ms() and ticker.open_interest > 0
        assert ticker.volume_24h > 0 and ticker.index_price > 0
        line = _shown(strip)[0]
        assert "mark " in line and "24h " in line and "vol " in line and "OI " in line
        assert " in " in line.split("funding", 1)[1]  # the countdown

        # History over REST for every timeframe, then the stream moves the current candle.
        task = engine.streams.candle_task
        assert task is not None
        await wait_until(pilot, task.done, "the chart history")
        for tf in TIMEFRAMES:
            assert len(engine.store.candles(SYM, tf)) > 1, tf
        before = engine.store.candles(SYM, "1m")[-1]
        await wait_until(
            pilot, lambda: engine.store.candles(SYM, "1m")[-1] != before, "a kline push", tries=60
        )
        chart = app.main.chart
        await wait_until(pilot, lambda: any("┃" in ln or "│" in ln for ln in _shown(chart)), "candles drawn")
        await pilot.press("f")
        await wait_until(pilot, lambda: _shown(chart)[0].startswith(f"{SYM} 5m"), "the 5m chart")


async def test_fills_pane_shows_the_venue_fills_and_todays_realised_pnl(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    venue_http: VenueHttp,
    venue_positions: VenueRows,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        fills = app.main.fills
        assert "no fills yet" in "\n".join(_shown(fills))
        app._ticket_done(OrderRequest(SYM, Side.BUY, QTY, order_type=OrderType.MARKET))
        await wait_until(pilot, lambda: any(" Buy " in ln for ln in _shown(fills)), "the buy fill")
        await wait_until(pilot, lambda: venue_positions(sim_venue) != [], "the position on the venue")
        app._ticket_done(OrderRequest(SYM, Side.SELL, QTY, order_type=OrderType.MARKET, reduce_only=True))
        await wait_until(pilot, lambda: venue_positions(sim_venue) == [], "the venue flat again")

        # A market order may fill in several executions: the pane shows each one, and its totals
        # are the venue's own figures.
        execs = venue_http(sim_venue).get_executions(category="linear", symbol=SYM)["result"]["list"]
        await wait_until(pilot, lambda: fills.summary.count == len(execs), "every execution in the pane")
        # Bybit's execution list carries no realised PnL; its closed-PnL record is the round
        # trip's PnL net of the opening and closing fees.
        records = venue_http(sim_venue).get_closed_pnl(category="linear", symbol=SYM)["result"]["list"]
        fees = sum(Decimal(e["execFee"]) for e in execs)
        net_venue = sum(Decimal(r["closedPnl"]) for r in records)
        closed = net_venue + fees
        # The gross is the executions' own prices (zero when the touch moved by exactly the spread
        # between the two orders, which a seeded market sometimes does).
        signed = {"Buy": -1, "Sell": 1}
        gross = sum(signed[e["side"]] * Decimal(e["execPrice"]) * Decimal(e["execQty"]) for e in execs)
        assert closed == gross and fees > 0
        assert (fills.summary.closed, fills.summary.fees) == (closed, fees)
        assert fills.summary.by_symbol == {SYM: net_venue}
        lines = _shown(fills)
        net = f"{closed - fees:,.2f}"
        assert lines[0].startswith(f"Today realised net {'+' if closed > fees else ''}{net}")
        rows = lines[2 : 2 + len(execs)]
        sells = [e for e in execs if e["side"] == "Sell"]
        assert [r.split()[2] for r in rows[: len(sells)]] == ["Sell"] * len(sells)  # newest first
        assert all(r.split()[1] == SYM and "taker" in r for r in rows)
        assert sum(Decimal(r.split()[3]) for r in rows[: len(sells)]) == QTY
        for e in execs:
            assert any(f"{Decimal(e['execPrice']):,.1f}" in r for r in rows)
