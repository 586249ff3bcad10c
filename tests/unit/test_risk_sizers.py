"""Sizing rules against hand-computed values: fixed qty, fixed fraction, volatility target, and
fractional Kelly from a strategy's own trades (with its cap)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.risk.sizers import (
    TradeStats,
    fixed_fraction,
    fixed_qty,
    floor_step,
    kelly_fraction,
    kelly_qty,
    realised_vol,
    simple_returns,
    vol_target_qty,
)

STEP = D("0.001")
# Returns +10 %, -10 %, +10 %: mean 1/30, squared deviations 4/900 + 16/900 + 4/900 = 24/900,
# sample variance 12/900 = 0.013333..., daily vol sqrt(0.013333...) = 0.115470...,
# annualised over 365 daily bars: sqrt(0.013333... x 365) = sqrt(4.866666...) = 2.206050...
CLOSES = [D(100), D(110), D(99), D("108.9")]


def test_floor_step_rounds_down_to_the_grid() -> None:
    assert floor_step(D("1.23456"), STEP) == D("1.234")
    assert floor_step(D("0.0009"), STEP) == D("0.000")
    assert floor_step(D(-1), STEP) == D("0.000")
    with pytest.raises(ValueError, match="qty step"):
        floor_step(D(1), D(0))


def test_fixed_qty() -> None:
    assert fixed_qty(D("0.25"), STEP) == D("0.250")
    assert fixed_qty(D("0.2509"), D("0.01")) == D("0.25")
    with pytest.raises(ValueError, match="qty must be a positive number"):
        fixed_qty(D(0), STEP)


def test_fixed_fraction() -> None:
    # 10 % of 100,000 = 10,000 USDT at 50,000 = 0.2 BTC
    assert fixed_fraction(D(100_000), D("0.1"), D(50_000), STEP) == D("0.200")
    # 2 % of 12,345 = 246.9 at 3,000 = 0.0823 ETH -> 0.08 on a 0.01 step
    assert fixed_fraction(D(12_345), D("0.02"), D(3_000), D("0.01")) == D("0.08")
    with pytest.raises(ValueError, match="equity"):
        fixed_fraction(D(0), D("0.1"), D(50_000), STEP)
    with pytest.raises(ValueError, match="price"):
        fixed_fraction(D(1000), D("0.1"), D("NaN"), STEP)


def test_realised_vol_hand_computed() -> None:
    assert simple_returns(CLOSES) == [D("0.1"), D("-0.1"), D("0.1")]
    daily = realised_vol(CLOSES, 1)
    assert abs(daily - D("0.1154700538")) < D("1e-9")
    annual = realised_vol(CLOSES, 365)
    assert abs(annual - D("2.2060522")) < D("1e-6")
    with pytest.raises(ValueError, match="at least 3 closes"):
        realised_vol(CLOSES[:2], 365)
    with pytest.raises(ValueError, match="close must be a positive"):
        realised_vol([D(1), D(0), D(1)], 365)


def test_vol_target_qty() -> None:
    # 100,000 x 0.5 / 2.2060522 = 22,665.01 USDT at 100 = 226.65 -> 226 contracts on a step of 1
    assert vol_target_qty(D(100_000), D("0.5"), CLOSES, D(100), D(1), periods_per_year=365) == D(226)
    # A 500 % target wants 226,650 USDT: capped at 1x equity = 100,000 -> 1,000 contracts
    assert vol_target_qty(D(100_000), D(5), CLOSES, D(100), D(1), periods_per_year=365) == D(1000)
    # ... or at 2x equity when allowed
    qty = vol_target_qty(D(100_000), D(5), CLOSES, D(100), D(1), periods_per_year=365, max_leverage=D(2))
    assert qty == D(2000)
    # A market that never moved: the cap
    flat = [D(100)] * 5
    assert vol_target_qty(D(100_000), D("0.2"), flat, D(100), D(1), periods_per_year=365) == D(1000)


def test_trade_stats_from_pnls() -> None:
    s = TradeStats.from_pnls([D(20), D(20), D(20), D(-10), D(-10), D(0)])
    assert (s.trades, s.wins, s.mean_win, s.mean_loss) == (6, 3, D(20), D(10))
    assert s.win_rate == D("0.5") and s.payoff == D(2)
    assert TradeStats.from_pnls([]).win_rate == 0


def test_kelly_hand_computed() -> None:
    # W = 0.6, R = 20 / 10 = 2: f* = 0.6 - 0.4 / 2 = 0.4; half Kelly 0.2
    s = TradeStats.from_pnls([D(20), D(20), D(20), D(-10), D(-10)])
    assert kelly_fraction(s, fraction=D("0.5"), cap=D("0.25")) == D("0.2")
    assert kelly_fraction(s, fraction=D(1), cap=D("0.25")) == D("0.25")  # full Kelly hits the cap
    assert kelly_fraction(s, fraction=D("0.5"), cap=D("0.1")) == D("0.1")
    # 0.2 x 100,000 = 20,000 USDT at 50,000 = 0.4 BTC
    assert kelly_qty(s, D(100_000), D(50_000), STEP) == D("0.400")


def test_kelly_edges() -> None:
    # W = 1/3, R = 1: f* = 1/3 - 2/3 < 0: no edge, no stake
    no_edge = TradeStats.from_pnls([D(10), D(-10), D(-10)])
    assert kelly_fraction(no_edge, fraction=D("0.5"), cap=D("0.25")) == 0
    assert kelly_qty(no_edge, D(100_000), D(50_000), STEP) == D("0.000")
    # Only wins: payoff unbounded -> the cap; only losses or no trades -> 0
    assert kelly_fraction(TradeStats.from_pnls([D(5), D(5)]), fraction=D("0.5"), cap=D("0.25")) == D("0.25")
    assert kelly_fraction(TradeStats.from_pnls([D(-5)]), fraction=D("0.5"), cap=D("0.25")) == 0
    assert kelly_fraction(TradeStats.from_pnls([]), fraction=D("0.5"), cap=D("0.25")) == 0
    # W = 0.5, R = 1: f* = 0 exactly: nothing
    assert kelly_fraction(TradeStats.from_pnls([D(1), D(-1)]), fraction=D(1), cap=D(1)) == 0
    with pytest.raises(ValueError, match="cap"):
        kelly_fraction(no_edge, fraction=D("0.5"), cap=D(0))
