"""One-minute bars that climb by a fixed step, written as the CSV ``backtest --data`` reads."""

from __future__ import annotations

from pathlib import Path

MINUTE_MS = 60_000


def ramp_csv(path: Path, start_ms: int, bars: int, step: int, shape: tuple[int, int, int]) -> Path:
    """``bars`` bars from ``start_ms``, opening at 60,000 + ``step`` x n; ``shape`` is the high,
    low and close as offsets from the open."""
    high, low, close = shape
    rows = ["ts,open,high,low,close,volume"]
    for n in range(bars):
        price = 60_000 + step * n
        rows.append(f"{start_ms + n * MINUTE_MS},{price},{price + high},{price + low},{price + close},1")
    path.write_text("\n".join(rows) + "\n")
    return path
