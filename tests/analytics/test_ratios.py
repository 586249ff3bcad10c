"""Returns, annualisation and risk ratios: the worked examples of docs/analytics.md and edge cases."""

from __future__ import annotations

import math
from decimal import Decimal as D

import pytest

from core.analytics import (
    EquityPoint,
    cagr,
    calmar,
    drawdown,
    periods_per_year,
    sharpe,
    simple_returns,
    sortino,
)
from core.analytics.ratios import annual_volatility, per_period_rate, sample_std

DAY_MS = 86_400_000
HALF_YEAR_MS = 365 * DAY_MS // 2


def curve(values: list[str], step_ms: int = DAY_MS) -> list[EquityPoint]:
    return [EquityPoint(i * step_ms, D(v)) for i, v in enumerate(values)]


def test_periods_per_year_from_the_bar_interval() -> None:
    assert periods_per_year(60_000) == 525_600
    assert periods_per_year(3_600_000) == 8_760
    assert periods_per_year(DAY_MS) == 365
    assert periods_per_year(HALF_YEAR_MS) == 2
    with pytest.raises(ValueError, match="period_ms"):
        periods_per_year(0)


def test_simple_returns_example() -> None:
    returns = simple_returns([D(100), D(110), D(99), D("108.9")])
    assert returns == pytest.approx([0.10, -0.10, 0.10])
    assert simple_returns([D(10), D(0), D(5)]) == [-1.0, 0.0]


def test_sharpe_and_sortino_example() -> None:
    returns = [0.10, -0.10, 0.10]
    assert sample_std(returns) == pytest.approx(0.1154700538)
    assert sharpe(returns, 365) == pytest.approx(5.515130, rel=1e-6)
    assert sortino(returns, 365) == pytest.approx(11.030261, rel=1e-6)
    assert annual_volatility(returns, 365) == pytest.approx(2.206052, rel=1e-6)


def test_risk_free_rate_is_annual_and_compounded_per_period() -> None:
    assert per_period_rate(0.21, 2) == pytest.approx(0.10)
    assert sharpe([0.3, 0.1, 0.2], 2, risk_free_rate=0.21) == pytest.approx(math.sqrt(2))


def test_cagr_and_calmar_example() -> None:
    points = curve(["100", "90", "121"], HALF_YEAR_MS)
    returns = simple_returns([p.equity for p in points])
    dd = drawdown(points)
    assert cagr(returns, 2) == pytest.approx(0.21)
    assert dd.max_drawdown == pytest.approx(0.10)
    assert calmar(returns, 2, dd.max_drawdown) == pytest.approx(2.1)


def test_drawdown_depth_and_durations_example() -> None:
    dd = drawdown(curve(["100", "120", "90", "120", "110", "100", "115"]))
    assert dd.max_drawdown == pytest.approx(0.25)
    assert dd.max_drawdown_duration_ms == 2 * DAY_MS
    assert dd.longest_drawdown_ms == 3 * DAY_MS


def test_edge_cases() -> None:
    assert math.isnan(sharpe([], 365)) and math.isnan(sharpe([0.01], 365))
    assert math.isnan(sortino([], 365)) and math.isnan(cagr([], 365))
    # zero std: constant positive returns are unbounded, constant zero returns undefined
    assert sharpe([0.01] * 10, 365) == math.inf
    assert sharpe([-0.01] * 10, 365) == -math.inf
    assert math.isnan(sharpe([0.0] * 10, 365))
    # no losing period: Sortino is unbounded
    assert sortino([0.01, 0.02], 365) == math.inf
    # no drawdown: Calmar is unbounded when growing
    assert calmar([0.01, 0.02], 365, 0.0) == math.inf
    assert drawdown([]) == drawdown(curve(["1", "2", "3"]))
    flat = drawdown(curve(["1", "2", "3"]))
    assert (flat.max_drawdown, flat.max_drawdown_duration_ms, flat.longest_drawdown_ms) == (0.0, 0, 0)
    # a total loss
    assert cagr([-1.0, 0.0], 365) == -1.0
    assert drawdown(curve(["10", "0", "0"])).max_drawdown == 1.0


def test_cagr_of_a_short_burst_does_not_overflow() -> None:
    assert cagr([0.5, 0.5], 525_600) == math.inf
