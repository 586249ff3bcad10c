"""Trade and activity statistics: win rate, profit factor, expectancy, exposure, turnover.

A trade's result is its ``net_pnl`` (price PnL less its fees and funding). A trade that nets
exactly zero is neither a win nor a loss but counts in the win rate's denominator.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.analytics.ratios import NAN, ratio
from core.analytics.types import ClosedTrade, EquityPoint
from core.model import ZERO


def win_rate(trades: Sequence[ClosedTrade]) -> float:
    """Winning trades / all trades; nan with no trades."""
    if not trades:
        return NAN
    return sum(1 for t in trades if t.net_pnl > ZERO) / len(trades)


def gross_profit(trades: Sequence[ClosedTrade]) -> Decimal:
    """Sum of the winning trades' net PnL."""
    return sum((t.net_pnl for t in trades if t.net_pnl > ZERO), ZERO)


def gross_loss(trades: Sequence[ClosedTrade]) -> Decimal:
    """Sum of the losing trades' net PnL, as a positive amount."""
    return -sum((t.net_pnl for t in trades if t.net_pnl < ZERO), ZERO)


def profit_factor(trades: Sequence[ClosedTrade]) -> float:
    """Gross profit / gross loss; inf with no losses, nan with neither."""
    return ratio(float(gross_profit(trades)), float(gross_loss(trades)))


def expectancy(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean net PnL per trade (quote currency); None with no trades."""
    if not trades:
        return None
    return sum((t.net_pnl for t in trades), ZERO) / len(trades)


def average(values: Sequence[Decimal]) -> Decimal | None:
    """Mean of Decimals; None when empty."""
    return sum(values, ZERO) / len(values) if values else None


def exposure_time(points: Sequence[EquityPoint]) -> float:
    """Share of equity points (bars) at which a position was held; nan with no points."""
    if not points:
        return NAN
    return sum(1 for p in points if p.exposure != ZERO) / len(points)


def turnover(traded_notional: Decimal, points: Sequence[EquityPoint]) -> float:
    """Traded notional (both sides, every fill) / mean equity; nan if mean equity <= 0."""
    if not points:
        return NAN
    mean_equity = sum((p.equity for p in points), ZERO) / len(points)
    if mean_equity <= ZERO:
        return NAN
    return float(traded_notional / mean_equity)
