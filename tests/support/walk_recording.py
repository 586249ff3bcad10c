"""A recording to backtest on: three hours of a seeded random walk's BTCUSDT trades, four a minute
(and one as the third hour ends), written by the recorder's writer (its manifest lists BTCUSDT and
ETHUSDT)."""

from __future__ import annotations

import random
from pathlib import Path

from core.record.format import RecordingWriter, TradeRec

START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z
MINUTES = 180
MINUTE_MS = 60_000


def walk_recording(out: Path) -> Path:
    """Three hours of a seeded random walk's trades, four a minute, written by the recorder's writer."""
    rng = random.Random(5)
    writer = RecordingWriter(out, "sim", ("BTCUSDT", "ETHUSDT"))
    price = 60_000.0
    for n in range(MINUTES * 4):
        price *= 1 + rng.gauss(0, 0.002)
        ts = START_MS + n * 15_000
        side = "Buy" if rng.random() < 0.5 else "Sell"
        writer.write(TradeRec(ts + 3, "BTCUSDT", ts, side, f"{price:.1f}", "0.010", str(n)))
    # a last print as the hour mark passes: the recording covers its last minute whole
    end = START_MS + MINUTES * 60_000
    writer.write(TradeRec(end + 3, "BTCUSDT", end, "Buy", f"{price:.1f}", "0.010", "end"))
    writer.close()
    return out
