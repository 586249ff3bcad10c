"""Return-series statistics: annualisation, Sharpe, Sortino, Calmar, drawdowns.

Ratios are floats. Conventions (``docs/analytics.md`` has the formulas and worked examples):

- periods per year come from the bar interval; crypto trades 365 days a year, every hour;
- the risk-free rate is an annual rate (default 0) turned into a per-period rate by compounding;
- Sharpe uses the sample standard deviation (n - 1); Sortino's downside deviation is the root
  mean square of the below-target excess over all n periods (Sortino and Price; empyrical too);
- a ratio whose denominator is zero is +inf or -inf by its numerator's sign, and undefined (nan)
  when the numerator is zero too or there are too few periods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.analytics.types import EquityPoint

DAYS_PER_YEAR = 365
MS_PER_DAY = 24 * 60 * 60 * 1000
MS_PER_YEAR = DAYS_PER_YEAR * MS_PER_DAY
MIN_PERIODS_FOR_STD = 2
# A standard deviation this small against the mean's size is float noise from constant returns.
ZERO_STD_RELATIVE = 1e-12
NAN = float("nan")
MAX_FLOAT_EXPONENT = math.log(1.7e308)


def periods_per_year(period_ms: int) -> float:
    """Bars per year for a bar interval: 365 days of round-the-clock trading."""
    if period_ms <= 0:
        raise ValueError(f"period_ms must be positive, got {period_ms}")
    return MS_PER_YEAR / period_ms


def per_period_rate(annual_rate: float, ppy: float) -> float:
    """An annual rate as the per-period rate that compounds to it: ``(1 + r) ** (1 / P) - 1``."""
    return float((1.0 + annual_rate) ** (1.0 / ppy) - 1.0)


def simple_returns(equity: Sequence[Decimal | float]) -> list[float]:
    """Per-period simple returns ``E[t] / E[t-1] - 1``.

    Once equity is zero or below there is nothing left to compound: later periods return 0.
    """
    values = [float(v) for v in equity]
    out: list[float] = []
    for prev, cur in zip(values, values[1:], strict=False):
        out.append(cur / prev - 1.0 if prev > 0 else 0.0)
    return out


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; +-inf for a zero denominator, nan when both are zero."""
    if denominator == 0:
        if numerator == 0 or math.isnan(numerator):
            return NAN
        return math.copysign(math.inf, numerator)
    return numerator / denominator


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def sample_std(xs: Sequence[float]) -> float:
    """Sample standard deviation (divisor n - 1); nan below two values, 0 for float noise."""
    if len(xs) < MIN_PERIODS_FOR_STD:
        return NAN
    mean = _mean(xs)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    return 0.0 if std <= ZERO_STD_RELATIVE * abs(mean) else std


def _excess(returns: Sequence[float], ppy: float, risk_free_rate: float) -> list[float]:
    rf = per_period_rate(risk_free_rate, ppy) if risk_free_rate else 0.0
    return [r - rf for r in returns]


def sharpe(returns: Sequence[float], ppy: float, risk_free_rate: float = 0.0) -> float:
    """Annualised Sharpe: ``mean(excess) / sample_std(excess) * sqrt(P)``."""
    excess = _excess(returns, ppy, risk_free_rate)
    if len(excess) < MIN_PERIODS_FOR_STD:
        return NAN
    return ratio(_mean(excess), sample_std(excess)) * math.sqrt(ppy)


def downside_deviation(excess: Sequence[float]) -> float:
    """``sqrt(mean(min(x, 0) ** 2))`` over all periods (population, target 0)."""
    if not excess:
        return NAN
    return math.sqrt(math.fsum(min(x, 0.0) ** 2 for x in excess) / len(excess))


def sortino(returns: Sequence[float], ppy: float, risk_free_rate: float = 0.0) -> float:
    """Annualised Sortino: ``mean(excess) / downside_deviation(excess) * sqrt(P)``."""
    excess = _excess(returns, ppy, risk_free_rate)
    if not excess:
        return NAN
    return ratio(_mean(excess), downside_deviation(excess)) * math.sqrt(ppy)


def annual_volatility(returns: Sequence[float], ppy: float) -> float:
    """``sample_std(returns) * sqrt(P)``."""
    return sample_std(returns) * math.sqrt(ppy)


def cagr(returns: Sequence[float], ppy: float) -> float:
    """Compound annual growth: ``prod(1 + r) ** (P / n) - 1``; -1 after a total loss."""
    if not returns:
        return NAN
    growth = math.prod(1.0 + r for r in returns)
    if growth <= 0:
        return -1.0
    exponent = math.log(growth) * ppy / len(returns)
    # Annualising a few bars of gain can exceed a float: the growth rate is then unbounded.
    return math.inf if exponent > MAX_FLOAT_EXPONENT else math.expm1(exponent)


def calmar(returns: Sequence[float], ppy: float, max_dd: float) -> float:
    """``cagr / max_drawdown`` (max drawdown as a positive fraction)."""
    return ratio(cagr(returns, ppy), max_dd)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall from a running peak, and how long the account was under water.

    ``max_drawdown`` is a positive fraction of the peak (0.25 = 25 % below it).
    ``max_drawdown_duration_ms`` spans the deepest drawdown's episode: from its peak to the
    point equity regains that peak, or to the last point if it never does.
    ``longest_drawdown_ms`` is the longest such episode of any depth.
    """

    max_drawdown: float
    max_drawdown_duration_ms: int
    longest_drawdown_ms: int


def drawdown(points: Sequence[EquityPoint]) -> Drawdown:
    """Max drawdown and durations of an equity curve (its first point is the starting equity)."""
    episodes = _episodes(points)
    if not episodes:
        return Drawdown(0.0, 0, 0)
    deepest = max(episodes, key=lambda e: e[2])
    return Drawdown(deepest[2], deepest[1] - deepest[0], max(end - start for start, end, _ in episodes))


def _episodes(points: Sequence[EquityPoint]) -> list[tuple[int, int, float]]:
    """(peak time, recovery or last time, depth) of every spell under a running peak."""
    episodes: list[tuple[int, int, float]] = []
    if not points:
        return episodes
    peak, peak_ts, depth = float(points[0].equity), points[0].ts_ms, 0.0
    for point in points[1:]:
        value = float(point.equity)
        if value >= peak:
            if depth > 0:
                episodes.append((peak_ts, point.ts_ms, depth))
            peak, peak_ts, depth = value, point.ts_ms, 0.0
        else:
            fall = 1.0 - value / peak if peak > 0 else 1.0
            if fall > depth:
                depth = fall
    if depth > 0:
        episodes.append((peak_ts, points[-1].ts_ms, depth))
    return episodes
