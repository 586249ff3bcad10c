"""Next-open fills are at the next bar's open exactly, through the venue's book and matching.

The market drive to the open quotes the open on the side the queued market order takes (the best
ask for a buy, the best bid for a sell), so the in-process venue's matching fills it there; the
order still goes builder -> risk chain -> journal -> executor -> in-process venue.
"""

from __future__ import annotations

from decimal import Decimal

from core.clock import FrozenClock
from core.model import Side
from core.strategy.backtest import BacktestConfig, run_backtest
from core.strategy.base import Bar, Strategy
from core.strategy.data import generated_bars
from core.strategy.examples.sma_cross import SmaCross
from core.venues.simulated import SimulatedVenue

START = 1_767_225_600_000
MINUTE = 60_000
TAKER = Decimal("0.00055")
QTY = Decimal("0.01")


def tick_bars(n: int, seed: int = 7) -> list[Bar]:
    """Generated bars with every price on BTCUSDT's 0.1 tick grid (a venue fills on its ticks)."""

    def on_tick(x: float) -> float:
        return round(x, 1)

    return [
        Bar(b.ts_ms, on_tick(b.open), on_tick(b.high), on_tick(b.low), on_tick(b.close), b.volume)
        for b in generated_bars(seed, START, START + n * MINUTE)
    ]


class Cycle(Strategy):
    """Buy, close, sell, close: market orders and reduce-only closes on both sides."""

    name = "cycle"

    def on_bar(self, bar: Bar) -> None:
        step = len(self.ctx.bars) % 4
        if step == 0:
            self.ctx.market(Side.BUY, QTY)
        elif step == 2:
            self.ctx.market(Side.SELL, QTY)
        else:
            self.ctx.close_position()


def _assert_at_next_open(strategy: Strategy, data: list[Bar]) -> None:
    result = run_backtest(strategy, data, BacktestConfig(funding_rate=None))
    opens = {b.ts_ms: b.open for b in data}
    end_ms = data[-1].ts_ms + MINUTE - 1  # what the last bar queued goes when the data ends
    fills = [f for f in result.fills if f.ts_ms != end_ms]
    assert len(fills) > len(data) // 4
    assert {f.side for f in fills} == {Side.BUY, Side.SELL}
    for fill in fills:
        assert fill.price == Decimal(repr(opens[fill.ts_ms])), fill  # the next bar's open, exactly
        assert not fill.is_maker
        assert fill.fee == fill.qty * fill.price * TAKER  # charged as a taker


def test_sma_flips_fill_at_the_next_bars_open_exactly() -> None:
    _assert_at_next_open(SmaCross(fast=2, slow=3, qty=QTY), tick_bars(150))


def test_market_orders_and_closes_on_both_sides_fill_at_the_open_exactly() -> None:
    _assert_at_next_open(Cycle(), tick_bars(60, seed=11))


def test_a_drive_for_a_taker_quotes_the_price_on_the_side_it_takes() -> None:
    clock = FrozenClock()
    venue = SimulatedVenue(clock, seed=3, symbols=("BTCUSDT",))
    price = 61_234.5
    venue.bars.drive("BTCUSDT", price, clock.now_ms() + MINUTE, Side.BUY)
    book = venue.orderbook("BTCUSDT", 1)
    assert book.asks[0][0] == Decimal("61234.5") > book.bids[0][0]
    venue.bars.drive("BTCUSDT", price, clock.now_ms() + MINUTE, Side.SELL)
    book = venue.orderbook("BTCUSDT", 1)
    assert book.bids[0][0] == Decimal("61234.5") < book.asks[0][0]
