"""Perp mechanics in the backtester, on the in-process venue with a virtual clock: funding at the
funding times, liquidation of a leveraged position through a crash, and the through-the-book fill
model (latency, slippage from the generator book's depth), deterministic for a seed."""

from __future__ import annotations

from decimal import Decimal

from core.model import Side
from core.strategy.backtest import THROUGH_BOOK, BacktestConfig, run_backtest
from core.strategy.base import Bar, Strategy
from core.strategy.report import stats

START = 1_767_225_600_000  # 2026-01-01 00:00 UTC
HOUR = 3_600_000
FUNDING_EVERY_H = 8
RATE = Decimal("0.0001")
TICK = Decimal("0.1")


class BuyOnce(Strategy):
    """Buys ``qty`` on the first bar and holds it."""

    name = "buy-once"

    def __init__(self, qty: str = "1") -> None:
        super().__init__()
        self.qty = Decimal(qty)
        self.sent = False

    def on_bar(self, bar: Bar) -> None:
        if not self.sent:
            self.sent = True
            self.ctx.market(Side.BUY, self.qty)


def hourly(closes: list[int]) -> list[Bar]:
    """Hourly bars opening at the previous close (prices on whole dollars: exact ticks)."""
    out, prev = [], closes[0]
    for i, close in enumerate(closes):
        out.append(Bar(START + i * HOUR, prev, max(prev, close), min(prev, close), close))
        prev = close
    return out


def test_funding_over_three_days_equals_the_hand_computed_sum() -> None:
    closes = [50_000 + 37 * i - (i % 5) * 90 for i in range(72)]
    data = hourly(closes)
    config = BacktestConfig(interval_ms=HOUR, funding_rate=RATE)
    result = run_backtest(BuyOnce("1"), data, config)
    assert {f.exec_type for f in result.fills} == {"Trade"}
    assert sum(f.qty for f in result.fills) == Decimal("1")
    # Bought at bar 1's open; each funding time B settles at the mark standing then: the close
    # of the bar ending at B. Boundaries 08:00 .. 16:00 of day 3 (the last bar ends at 72 h).
    boundaries = range(FUNDING_EVERY_H, 72, FUNDING_EVERY_H)
    expected = sum(Decimal(closes[b - 1]) * RATE for b in boundaries)
    assert [p.ts_ms for p in result.funding] == [START + b * HOUR for b in boundaries]
    assert sum(p.amount for p in result.funding) == expected
    table = stats(result, config.starting_balance)
    assert Decimal(str(table["funding_paid"])) == expected
    assert table["liquidations"] == 0


def test_no_funding_when_it_is_turned_off() -> None:
    data = hourly([50_000] * 30)
    result = run_backtest(BuyOnce("1"), data, BacktestConfig(interval_ms=HOUR, funding_rate=None))
    assert result.funding == []


def test_a_leveraged_long_through_a_crash_is_liquidated_not_an_ever_growing_loss() -> None:
    closes = [50_000] * 4 + [int(50_000 * (1 - 0.01 * k)) for k in range(1, 25)]  # -24 %
    data = hourly(closes)
    config = BacktestConfig(interval_ms=HOUR, funding_rate=None)
    result = run_backtest(BuyOnce("1"), data, config)
    assert len(result.liquidations) == 1
    liq = result.liquidations[0]
    assert liq.exec_type == "BustTrade" and liq.side is Side.SELL and liq.qty == Decimal("1.000")
    buys = [f for f in result.fills if f.exec_type == "Trade"]
    entry = sum((f.price * f.qty for f in buys), Decimal(0)) / sum((f.qty for f in buys), Decimal(0))
    bust = entry * Decimal("0.9")  # the bankruptcy price at leverage 10, on a whole tick
    assert liq.price - TICK < bust <= liq.price
    at = next(i for i, c in enumerate(closes) if c <= float(entry) * 0.905)
    assert data[at].ts_ms <= liq.ts_ms < data[at].ts_ms + HOUR  # in the bar that crossed it
    after = [p.equity for p in result.equity[at:]]
    assert max(after) - min(after) < 1e-6  # flat: the fall beyond it costs nothing more
    loss = float(config.starting_balance) - result.equity[-1].equity
    fees = sum((f.fee for f in result.fills), Decimal(0))
    assert abs(loss - float(entry - liq.price + fees)) < 1e-6  # the margin and the fees, not the 24 % fall
    assert loss < 0.11 * float(entry)
    assert stats(result, config.starting_balance)["liquidations"] == 1


def test_a_market_order_through_the_book_fills_worse_than_the_touch_by_the_depth() -> None:
    data = hourly([50_000] * 6)
    config = BacktestConfig(interval_ms=HOUR, fill_model=THROUGH_BOOK, latency_ms=50, funding_rate=None)
    result = run_backtest(BuyOnce("4"), data, config)
    fills = result.fills
    assert len(fills) > 1  # walked several levels
    assert {f.ts_ms for f in fills} == {START + HOUR - 1 + 50}  # sent 50 ms after the close
    touch = min(f.price for f in fills)
    vwap = sum(f.price * f.qty for f in fills) / sum(f.qty for f in fills)
    assert vwap > touch
    assert max(f.price for f in fills) > touch
    assert sum(f.qty for f in fills) == Decimal("4")


def test_through_the_book_is_deterministic_for_a_seed() -> None:
    data = hourly([50_000 + 40 * (i % 7) for i in range(12)])

    def run(seed: int) -> list[tuple[int, Decimal, Decimal]]:
        config = BacktestConfig(interval_ms=HOUR, fill_model=THROUGH_BOOK, seed=seed, funding_rate=None)
        return [(f.ts_ms, f.price, f.qty) for f in run_backtest(BuyOnce("4"), data, config).fills]

    first = run(11)
    assert first and run(11) == first
    assert run(12) != first


class BidOnce(Strategy):
    """Bids ``qty`` at ``price`` on the first bar and leaves it working."""

    name = "bid-once"

    def __init__(self, price: str) -> None:
        super().__init__()
        self.price = Decimal(price)
        self.sent = False

    def on_bar(self, bar: Bar) -> None:
        if not self.sent:
            self.sent = True
            self.ctx.limit(Side.BUY, Decimal("0.5"), self.price)


def test_a_limit_order_through_the_book_rests_until_the_market_trades_through_it() -> None:
    closes = [50_000, 50_000, 49_950, 49_900, 49_700, 49_800]
    data = hourly(closes)
    config = BacktestConfig(interval_ms=HOUR, fill_model=THROUGH_BOOK, funding_rate=None)
    result = run_backtest(BidOnce("49800"), data, config)
    assert result.fills
    assert all(f.is_maker and f.price == Decimal("49800") for f in result.fills)
    assert {f.ts_ms // HOUR for f in result.fills} == {data[4].ts_ms // HOUR}  # the bar that reached it
    assert sum(f.qty for f in result.fills) == Decimal("0.5")
