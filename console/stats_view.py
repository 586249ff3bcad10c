"""The backtest stats as a trader reads them: money in USDT with two decimals, fractions as
percentages, ratios to two decimals, times as UTC dates and durations as days, hours and minutes.

``stats.json`` keeps every value exact; this is only the printed table. A key this module does not
know is shown as it is.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

MONEY = frozenset(
    {"initial_equity", "final_equity", "net_pnl", "realised_pnl", "fees_paid", "funding_paid",
     "traded_notional", "expectancy", "avg_win", "avg_loss", "best_trade", "worst_trade"}
)  # fmt: skip
SIGNED_MONEY = frozenset(
    {"net_pnl", "realised_pnl", "expectancy", "avg_win", "avg_loss", "best_trade", "worst_trade"}
)
PERCENT = frozenset(
    {"total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure_time", "risk_free_rate"}
)
RATIO = frozenset({"sharpe", "sortino", "calmar", "profit_factor"})
TIMES = frozenset({"start_ms", "end_ms"})
DURATIONS = frozenset({"max_drawdown_duration_ms", "longest_drawdown_ms"})
MS_PER_MINUTE = 60_000
MINUTES_PER_HOUR = 60
HOURS_PER_DAY = 24


def _number(value: object) -> Decimal | None:
    """A stats value as a number (Decimals arrive as exact strings, infinities as "inf")."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def duration(ms: int) -> str:
    """``1d 11h 53m`` (``0m`` for nothing)."""
    minutes = ms // MS_PER_MINUTE
    hours, minutes = divmod(minutes, MINUTES_PER_HOUR)
    days, hours = divmod(hours, HOURS_PER_DAY)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    return " ".join([*parts, f"{minutes}m"])


def show(key: str, value: object) -> str:
    """``value`` of stat ``key`` as the table prints it."""
    number = _number(value)
    if number is None or isinstance(value, str) and key not in MONEY | PERCENT | RATIO:
        return "n/a" if value is None else str(value)
    if number.is_infinite():
        return "∞" if number > 0 else "-∞"
    if key in MONEY:
        sign = "+" if key in SIGNED_MONEY and number > 0 else ""
        return f"{sign}{number:,.2f} USDT"
    if key in PERCENT:
        return f"{number * 100:,.2f} %"
    if key in RATIO:
        return f"{number:,.2f}"
    if key in TIMES:
        return datetime.fromtimestamp(int(number) / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if key in DURATIONS:
        return duration(int(number))
    if key == "turnover":
        return f"{number:,.2f}×"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else str(value)


__all__ = ["duration", "show"]
