"""The average-cost ledger: the worked examples of docs/analytics.md, and invariants over random fills."""

from __future__ import annotations

import random
from decimal import Decimal as D

from core.analytics import FundingPayment, Ledger, Mark, equity_curve, funding_payment, round_trips
from core.model import Fill, Side


def fill(side: Side, qty: str, price: str, ts: int, fee: str = "0", symbol: str = "BTCUSDT") -> Fill:
    return Fill(symbol, side, D(qty), D(price), D(fee), f"e{ts}", "", "", False, ts)


EXAMPLE = [
    fill(Side.BUY, "1", "100", 1, "0.1"),
    fill(Side.BUY, "1", "110", 2),
    fill(Side.SELL, "3", "120", 3, "0.3"),
    fill(Side.BUY, "1", "100", 4),
]


def test_worked_example_average_cost_flip_and_fee_split() -> None:
    ledger = Ledger(D(1000))
    realised = [ledger.apply_fill(f) for f in EXAMPLE[:2]]
    assert realised == [0, 0]
    assert ledger.position("BTCUSDT") == (D(2), D(105))
    ledger.mark("BTCUSDT", D(102))
    assert ledger.unrealised_pnl() == D(-6)
    assert ledger.exposure() == D(204)
    assert ledger.apply_fill(EXAMPLE[2]) == D(30)
    assert ledger.position("BTCUSDT") == (D(-1), D(120))
    assert ledger.apply_fill(EXAMPLE[3]) == D(20)
    first, second = ledger.trades
    assert (first.side, first.qty, first.entry_price, first.exit_price) == (Side.BUY, D(2), D(105), D(120))
    assert (first.pnl, first.fees, first.net_pnl) == (D(30), D("0.3"), D("29.7"))
    assert (second.side, second.qty, second.entry_price, second.exit_price) == (
        Side.SELL,
        D(1),
        D(120),
        D(100),
    )
    assert (second.pnl, second.fees, second.net_pnl) == (D(20), D("0.1"), D("19.9"))
    assert (ledger.realised_pnl, ledger.fees_paid, ledger.equity()) == (D(50), D("0.4"), D("1049.6"))


def test_partial_close_realises_against_the_average_not_the_first_lot() -> None:
    ledger = Ledger()
    ledger.apply_fill(fill(Side.BUY, "1", "100", 1))
    ledger.apply_fill(fill(Side.BUY, "1", "110", 2))
    # FIFO would realise 120 - 100 = 20; average cost realises 120 - 105 = 15.
    assert ledger.apply_fill(fill(Side.SELL, "1", "120", 3)) == D(15)
    assert ledger.position("BTCUSDT") == (D(1), D(105))
    assert ledger.trades == []


def test_short_unrealised_and_funding() -> None:
    ledger = Ledger(D(1000))
    ledger.apply_fill(fill(Side.SELL, "2", "100", 1))
    ledger.mark("BTCUSDT", D(90))
    assert ledger.unrealised_pnl() == D(20)
    long_pays = funding_payment("BTCUSDT", 2, D(2), D(100), D("0.0001"))
    short_receives = funding_payment("BTCUSDT", 2, D(-2), D(100), D("0.0001"))
    assert (long_pays.amount, short_receives.amount) == (D("0.0200"), D("-0.0200"))
    ledger.apply_funding(short_receives)
    assert ledger.funding_paid == D("-0.02")
    ledger.apply_fill(fill(Side.BUY, "2", "90", 3))
    (trade,) = ledger.trades
    assert (trade.pnl, trade.funding, trade.net_pnl) == (D(20), D("-0.02"), D("20.02"))
    assert ledger.equity() == D("1020.02")


def test_equity_curve_from_fills_and_marks() -> None:
    marks = [Mark(t, "BTCUSDT", D(100 + t)) for t in range(6)]
    points = equity_curve(EXAMPLE, marks, initial_cash=D(1000))
    assert [p.ts_ms for p in points] == [0, 1, 2, 3, 4, 5]
    assert [p.equity for p in points] == [
        D(1000),
        D("1000.9"),
        D("993.9"),
        D("1046.6"),
        D("1049.6"),
        D("1049.6"),
    ]
    assert [p.exposure for p in points] == [0, D(101), D(204), D(103), 0, 0]


def test_equity_curve_one_point_per_time_and_funding_before_fills() -> None:
    marks = [Mark(1, "BTCUSDT", D(100)), Mark(1, "ETHUSDT", D(10)), Mark(2, "BTCUSDT", D(100))]
    fills = [fill(Side.BUY, "1", "100", 1), fill(Side.BUY, "1", "10", 1, symbol="ETHUSDT")]
    pay = [FundingPayment("BTCUSDT", 2, D("0.5"))]
    points = equity_curve(fills, marks, initial_cash=D(100), funding=pay)
    assert [(p.ts_ms, p.equity, p.exposure) for p in points] == [(1, D(100), D(110)), (2, D("99.5"), D(110))]


def test_no_fills_is_flat() -> None:
    ledger = Ledger(D(5))
    assert (ledger.equity(), ledger.unrealised_pnl(), ledger.exposure()) == (D(5), D(0), D(0))
    assert ledger.trades == []
    assert ledger.position("BTCUSDT") == (D(0), D(0))
    assert round_trips([]) == []


def test_random_fills_conserve_money() -> None:
    """Over any fill history closed back to flat: price PnL = sells - buys, and trades add up."""
    rng = random.Random(7)
    fills: list[Fill] = []
    size = D(0)
    for ts in range(400):
        side = rng.choice([Side.BUY, Side.SELL])
        qty = D(rng.randint(1, 50)) / 10
        fills.append(fill(side, str(qty), str(D(rng.randint(9000, 11000)) / 100), ts, str(qty / 100)))
        size += qty * side.sign
    if size:
        fills.append(fill(Side.SELL if size > 0 else Side.BUY, str(abs(size)), "100", 400))
    ledger = Ledger()
    for f in fills:
        ledger.apply_fill(f)
    cash_flow = sum((f.qty * f.price * -f.side.sign for f in fills), D(0))
    assert ledger.position("BTCUSDT") == (D(0), D(0))
    assert abs(ledger.realised_pnl - cash_flow) < D("1e-18")
    assert abs(sum((t.pnl for t in ledger.trades), D(0)) - ledger.realised_pnl) < D("1e-18")
    assert sum((t.fees for t in ledger.trades), D(0)) == ledger.fees_paid
    for t in ledger.trades:
        assert abs(t.pnl - t.side.sign * (t.exit_price - t.entry_price) * t.qty) < D("1e-18")
    assert round_trips(fills) == ledger.trades
