"""Trading analytics: PnL from fills, equity curves, returns, risk ratios and the stats table.

Pure functions over plain sequences (no pandas): cheap to import on the console's start-up path
and usable by the engine, the console and the backtester alike. Formulas, conventions and worked
examples: ``docs/analytics.md``.
"""

from core.analytics.ledger import FillLike, Ledger, Mark, equity_curve, funding_payment, round_trips
from core.analytics.ratios import (
    Drawdown,
    annual_volatility,
    cagr,
    calmar,
    drawdown,
    periods_per_year,
    sharpe,
    simple_returns,
    sortino,
)
from core.analytics.stats import Stats, summary
from core.analytics.trades import expectancy, exposure_time, profit_factor, turnover, win_rate
from core.analytics.types import ClosedTrade, EquityPoint, FundingPayment

__all__ = [
    "ClosedTrade",
    "Drawdown",
    "EquityPoint",
    "FillLike",
    "FundingPayment",
    "Ledger",
    "Mark",
    "Stats",
    "annual_volatility",
    "cagr",
    "calmar",
    "drawdown",
    "equity_curve",
    "expectancy",
    "exposure_time",
    "funding_payment",
    "periods_per_year",
    "profit_factor",
    "round_trips",
    "sharpe",
    "simple_returns",
    "sortino",
    "summary",
    "turnover",
    "win_rate",
]
