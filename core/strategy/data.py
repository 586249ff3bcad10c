"""Bars for a backtest: a seeded generator (default) or a CSV file (ts,open,high,low,close,volume)."""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from core.strategy.base import Bar

MINUTE_MS = 60_000
YEAR_MS = 365 * 86_400_000
SECONDS_CUTOFF = 10**11
"""A numeric ``ts`` below this is seconds since the epoch, otherwise milliseconds."""
DEFAULT_START_PRICE = 60_000.0
DEFAULT_ANNUAL_VOL = 0.6
WICK_SCALE = 0.5
"""How far a generated wick reaches beyond the body, in units of the bar's volatility."""
MEAN_VOLUME = 10.0
CSV_COLUMNS = ("ts", "open", "high", "low", "close", "volume")


def generated_bars(
    seed: int,
    start_ms: int,
    end_ms: int,
    *,
    interval_ms: int = MINUTE_MS,
    start_price: float = DEFAULT_START_PRICE,
    annual_vol: float = DEFAULT_ANNUAL_VOL,
) -> Iterator[Bar]:
    """Bars of a seeded geometric random walk from ``start_ms`` (inclusive) to ``end_ms`` (exclusive)."""
    rng = random.Random(seed)
    sig = annual_vol * math.sqrt(interval_ms / YEAR_MS)
    price = start_price
    ts = start_ms - start_ms % interval_ms
    while ts < end_ms:
        close = price * math.exp(rng.gauss(0.0, sig) - 0.5 * sig * sig)
        wick_hi = abs(rng.gauss(0.0, sig)) * WICK_SCALE * price
        wick_lo = abs(rng.gauss(0.0, sig)) * WICK_SCALE * price
        volume = rng.expovariate(1.0 / MEAN_VOLUME)
        yield Bar(ts, price, max(price, close) + wick_hi, min(price, close) - wick_lo, close, volume)
        price = close
        ts += interval_ms


def parse_ts(text: str) -> int:
    """Milliseconds since the epoch from seconds, milliseconds or an ISO time (UTC if no zone)."""
    raw = text.strip()
    try:
        number = float(raw)
    except ValueError:
        stamp = datetime.fromisoformat(raw)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return int(stamp.timestamp() * 1000)
    return int(number * 1000) if number < SECONDS_CUTOFF else int(number)


def csv_bars(path: Path, start_ms: int | None = None, end_ms: int | None = None) -> Iterator[Bar]:
    """Bars from a CSV file with a header ``ts,open,high,low,close[,volume]``, oldest first."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in CSV_COLUMNS[:-1] if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)} (need {','.join(CSV_COLUMNS)})")
        last = -1
        for n, row in enumerate(reader, start=2):
            try:
                bar = _row_bar(row)
            except ValueError as exc:
                raise ValueError(f"{path}:{n}: {exc}") from None
            if bar.ts_ms <= last:
                raise ValueError(f"{path}:{n}: timestamps must increase")
            last = bar.ts_ms
            if (start_ms is None or bar.ts_ms >= start_ms) and (end_ms is None or bar.ts_ms < end_ms):
                yield bar


def _row_bar(row: dict[str, str]) -> Bar:
    o, h, lo, c = (float(row[k]) for k in ("open", "high", "low", "close"))
    if not all(math.isfinite(v) and v > 0 for v in (o, h, lo, c)) or h < max(o, c) or lo > min(o, c):
        raise ValueError(f"bad OHLC {o} {h} {lo} {c}")
    return Bar(parse_ts(row["ts"]), o, h, lo, c, float(row.get("volume") or 0.0))
