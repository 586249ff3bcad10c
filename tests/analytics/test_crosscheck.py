"""Our ratios against empyrical-reloaded's on the same series (dev-only dependency)."""

from __future__ import annotations

import random
from decimal import Decimal as D

import pytest

from core.analytics import EquityPoint, cagr, calmar, drawdown, sharpe, simple_returns, sortino
from core.analytics.ratios import annual_volatility, per_period_rate

empyrical = pytest.importorskip("empyrical", reason="empyrical-reloaded (a dev dependency) is not installed")
pd = pytest.importorskip("pandas", reason="pandas comes with empyrical-reloaded")

HOUR_MS = 3_600_000
PPY = 8_760


def equity_series(seed: int, n: int = 2_000) -> list[EquityPoint]:
    rng = random.Random(seed)
    equity = D(10_000)
    points = [EquityPoint(0, equity)]
    for i in range(1, n):
        equity *= 1 + D(str(round(rng.gauss(0.00005, 0.004), 8)))
        points.append(EquityPoint(i * HOUR_MS, equity.quantize(D("0.00000001"))))
    return points


@pytest.mark.parametrize(("seed", "rf"), [(1, 0.0), (2, 0.0), (3, 0.04)])
def test_ratios_match_empyrical(seed: int, rf: float) -> None:
    points = equity_series(seed)
    ours = simple_returns([p.equity for p in points])
    theirs = pd.Series(ours)
    rf_p = per_period_rate(rf, PPY)
    dd = drawdown(points)
    assert sharpe(ours, PPY, rf) == pytest.approx(
        empyrical.sharpe_ratio(theirs, risk_free=rf_p, annualization=PPY), rel=1e-9
    )
    assert sortino(ours, PPY, rf) == pytest.approx(
        empyrical.sortino_ratio(theirs, required_return=rf_p, annualization=PPY), rel=1e-9
    )
    assert annual_volatility(ours, PPY) == pytest.approx(
        empyrical.annual_volatility(theirs, annualization=PPY), rel=1e-9
    )
    assert cagr(ours, PPY) == pytest.approx(empyrical.annual_return(theirs, annualization=PPY), rel=1e-9)
    assert -dd.max_drawdown == pytest.approx(empyrical.max_drawdown(theirs), rel=1e-9)
    assert calmar(ours, PPY, dd.max_drawdown) == pytest.approx(
        empyrical.calmar_ratio(theirs, annualization=PPY), rel=1e-9
    )
