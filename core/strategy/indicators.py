"""Rolling indicators over the bars a strategy has seen (market data: floats, never money)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class OHLC(Protocol):
    """What the indicators read from a bar."""

    @property
    def high(self) -> float:
        """The bar's high."""
        ...

    @property
    def low(self) -> float:
        """The bar's low."""
        ...

    @property
    def close(self) -> float:
        """The bar's close."""
        ...


def sma(closes: Sequence[float], n: int) -> float | None:
    """The mean of the last ``n`` values, or None before there are ``n``."""
    if n <= 0:
        raise ValueError(f"SMA length must be positive, got {n}")
    if len(closes) < n:
        return None
    return sum(closes[-n:]) / n


def true_range(bar: OHLC, prev_close: float | None) -> float:
    """The bar's range, widened to the previous close."""
    if prev_close is None:
        return bar.high - bar.low
    return max(bar.high, prev_close) - min(bar.low, prev_close)


def atr(bars: Sequence[OHLC], n: int) -> float | None:
    """The mean true range of the last ``n`` bars, or None before there are ``n + 1``."""
    if n <= 0:
        raise ValueError(f"ATR length must be positive, got {n}")
    if len(bars) < n + 1:
        return None
    window = bars[-(n + 1) :]
    ranges = [true_range(window[i], window[i - 1].close) for i in range(1, len(window))]
    return sum(ranges) / n
