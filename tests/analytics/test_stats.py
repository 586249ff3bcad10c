"""Trade statistics, exposure, turnover and the summary() table: docs/analytics.md examples."""

from __future__ import annotations

import json
import math
from decimal import Decimal as D

import pytest

from core.analytics import (
    ClosedTrade,
    EquityPoint,
    Ledger,
    Mark,
    equity_curve,
    expectancy,
    exposure_time,
    profit_factor,
    summary,
    turnover,
    win_rate,
)
from core.model import Fill, Side

DAY_MS = 86_400_000


def trade(net: str, fees: str = "0") -> ClosedTrade:
    pnl = D(net) + D(fees)
    return ClosedTrade("BTCUSDT", Side.BUY, D(1), D(100), D(100) + pnl, 0, 1, pnl, fees=D(fees))


def test_trade_stats_example() -> None:
    trades = [trade("30", "1"), trade("-10"), trade("20"), trade("0")]
    assert win_rate(trades) == 0.5
    assert profit_factor(trades) == 5.0
    assert expectancy(trades) == D(10)


def test_trade_stats_edges() -> None:
    assert math.isnan(win_rate([])) and math.isnan(profit_factor([])) and expectancy([]) is None
    assert profit_factor([trade("5"), trade("1")]) == math.inf
    assert profit_factor([trade("-5")]) == 0.0
    assert math.isnan(profit_factor([trade("0")]))


def test_exposure_and_turnover_example() -> None:
    points = [
        EquityPoint(0, D(1000)),
        EquityPoint(1, D(1000), D(500)),
        EquityPoint(2, D(1010), D(505)),
        EquityPoint(3, D(1010)),
    ]
    assert exposure_time(points) == 0.5
    assert turnover(D(1005), points) == 1.0
    assert math.isnan(exposure_time([])) and math.isnan(turnover(D(1), []))


def fill(side: Side, qty: str, price: str, ts: int, fee: str = "0") -> Fill:
    return Fill("BTCUSDT", side, D(qty), D(price), D(fee), f"e{ts}", "", "", False, ts * DAY_MS)


def test_summary_of_a_small_run_and_its_json() -> None:
    fills = [
        fill(Side.BUY, "1", "100", 1, "0.1"),
        fill(Side.BUY, "1", "110", 2),
        fill(Side.SELL, "3", "120", 3, "0.3"),
        fill(Side.BUY, "1", "100", 4),
    ]
    marks = [Mark(t * DAY_MS, "BTCUSDT", D(100 + t)) for t in range(6)]
    ledger = Ledger(D(1000))
    for f in fills:
        ledger.apply_fill(f)
    points = equity_curve(fills, marks, initial_cash=D(1000))
    stats = summary(ledger.trades, points, period_ms=DAY_MS, fills=fills)
    assert (stats.periods, stats.periods_per_year, stats.trades) == (5, 365.0, 2)
    assert (stats.initial_equity, stats.final_equity, stats.net_pnl) == (D(1000), D("1049.6"), D("49.6"))
    assert (stats.realised_pnl, stats.fees_paid, stats.funding_paid) == (D(50), D("0.4"), D(0))
    assert stats.traded_notional == D(670)
    assert stats.total_return == pytest.approx(0.0496)
    assert stats.max_drawdown == pytest.approx(7 / 1000.9)
    assert stats.max_drawdown_duration_ms == 2 * DAY_MS
    assert (stats.win_rate, stats.profit_factor, stats.expectancy) == (1.0, math.inf, D("24.8"))
    assert (stats.best_trade, stats.worst_trade, stats.avg_loss) == (D("29.7"), D("19.9"), None)
    assert stats.exposure_time == 0.5
    assert stats.turnover == pytest.approx(670 / (6140.6 / 6))
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["final_equity"] == "1049.6" and data["profit_factor"] == "inf" and data["avg_loss"] is None
    assert data["trades"] == 2 and isinstance(data["sharpe"], float)


def test_summary_with_no_trades_and_no_bars() -> None:
    flat = [EquityPoint(i * DAY_MS, D(100)) for i in range(3)]
    stats = summary([], flat, period_ms=DAY_MS)
    assert (stats.trades, stats.expectancy, stats.fees_paid, stats.total_return, stats.max_drawdown) == (
        0,
        None,
        D(0),
        0.0,
        0.0,
    )
    assert math.isnan(stats.sharpe) and math.isnan(stats.win_rate)
    data = stats.to_dict()
    assert data["sharpe"] is None and data["win_rate"] is None
    empty = summary([], [], period_ms=DAY_MS)
    assert (empty.periods, empty.start_ms, empty.final_equity) == (0, 0, D(0))
    assert math.isnan(empty.total_return)


def test_summary_takes_costs_from_trades_without_fills() -> None:
    trades = [ClosedTrade("X", Side.SELL, D(1), D(10), D(9), 0, 1, D(1), fees=D("0.2"), funding=D("0.1"))]
    stats = summary(trades, [EquityPoint(0, D(10)), EquityPoint(1, D("10.7"))], period_ms=DAY_MS)
    assert (stats.fees_paid, stats.funding_paid, stats.expectancy) == (D("0.2"), D("0.1"), D("0.7"))
