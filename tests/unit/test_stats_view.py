"""The printed backtest stats: the raw table showed 28-digit Decimals, fractions a trader had to
multiply by 100, epoch milliseconds and durations in milliseconds."""

from __future__ import annotations

import pytest

from console.stats_view import duration, show


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("final_equity", "99897.76776946368", "99,897.77 USDT"),
        ("fees_paid", "76.55713175", "76.56 USDT"),
        ("net_pnl", "-102.23223053632", "-102.23 USDT"),
        ("best_trade", "9.52672525", "+9.53 USDT"),
        ("expectancy", "-0.8608076495726495726495726496", "-0.86 USDT"),
        ("expectancy", None, "n/a"),
        ("total_return", -0.0010223223053632, "-0.10 %"),
        ("win_rate", 0.24786324786324787, "24.79 %"),
        ("sharpe", -50.84240569764041, "-50.84"),
        ("profit_factor", "inf", "∞"),
        ("sortino", None, "n/a"),
        ("max_drawdown_duration_ms", 129180000, "1d 11h 53m"),
        ("start_ms", 1767225600000, "2026-01-01 00:00 UTC"),
        ("turnover", 1.3924559579319749, "1.39×"),
        ("bars", 1000000, "1,000,000"),
        ("periods_per_year", 525600.0, "525,600"),
        ("fill_model", "next-open", "next-open"),
        ("funding", "constant rate 0.0001", "constant rate 0.0001"),
    ],
)
def test_each_stat_reads_as_a_trader_expects(key: str, value: object, shown: str) -> None:
    assert show(key, value) == shown


def test_durations() -> None:
    assert duration(0) == "0m"
    assert duration(59_999) == "0m"
    assert duration(3_600_000) == "1h 0m"
    assert duration(86_400_000 + 60_000) == "1d 0h 1m"
