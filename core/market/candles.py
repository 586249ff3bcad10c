"""Candles (OHLCV) for the console's chart, in bounded memory.

Two sources: :class:`CandleSeries` holds a venue's klines (REST history merged with the
``kline`` stream's pushes of the current candle), and :class:`CandleAggregator` builds candles
from trades when a venue has no kline stream.

Candles are aligned to multiples of the interval since the epoch (UTC), like Bybit's klines.
Floats are fine here: the chart is not on the order path. Late trades update their candle if it is
still held; trades older than the oldest held candle are counted in ``dropped`` and ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

INTERVALS_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}

TIMEFRAMES: tuple[str, ...] = ("1m", "5m", "15m", "1h")
"""The chart's selectable timeframes, in the order a key cycles them."""


@dataclass(slots=True)
class Candle:
    """One OHLCV bar starting at ``start_ms`` (inclusive) for ``interval_ms``."""

    start_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    trades: int = 0

    def add(self, price: float, qty: float) -> None:
        """Fold one trade into the bar."""
        if price > self.high:
            self.high = price
        if price < self.low:
            self.low = price
        self.close = price
        self.volume += qty
        self.trades += 1


class CandleAggregator:
    """Keeps at most ``max_candles`` candles of one symbol and interval.

    ``fill_gaps`` inserts flat zero-volume candles (at the previous close) for intervals without
    trades, so the chart's x-axis stays regular.
    """

    def __init__(self, interval_ms: int = 60_000, max_candles: int = 500, *, fill_gaps: bool = True) -> None:
        if interval_ms <= 0 or max_candles <= 0:
            raise ValueError("interval_ms and max_candles must be positive")
        self.interval_ms = interval_ms
        self.max_candles = max_candles
        self.fill_gaps = fill_gaps
        self._candles: deque[Candle] = deque(maxlen=max_candles)
        self.dropped = 0
        self.version = 0

    @classmethod
    def for_interval(cls, name: str, max_candles: int = 500, *, fill_gaps: bool = True) -> CandleAggregator:
        """Build from a name such as ``"1m"`` or ``"1h"``."""
        try:
            return cls(INTERVALS_MS[name], max_candles, fill_gaps=fill_gaps)
        except KeyError:
            raise ValueError(f"unknown interval {name!r}; known: {', '.join(INTERVALS_MS)}") from None

    def bucket(self, ts_ms: int) -> int:
        """Start of the interval containing ``ts_ms``."""
        return ts_ms - ts_ms % self.interval_ms

    def add_trade(self, ts_ms: int, price: float, qty: float) -> None:
        """Fold one trade (any numeric type; converted to float)."""
        px = float(price)
        q = float(qty)
        start = self.bucket(int(ts_ms))
        candles = self._candles
        self.version += 1
        if not candles:
            candles.append(Candle(start, px, px, px, px))
            candles[-1].add(px, q)
            return
        last = candles[-1]
        if start == last.start_ms:
            last.add(px, q)
            return
        if start > last.start_ms:
            if self.fill_gaps:
                gap_start = last.start_ms + self.interval_ms
                # only the gap candles that can still be held are created
                gap_start = max(gap_start, start - self.interval_ms * (self.max_candles - 1))
                close = last.close
                for s in range(gap_start, start, self.interval_ms):
                    candles.append(Candle(s, close, close, close, close))
            c = Candle(start, px, px, px, px)
            c.add(px, q)
            candles.append(c)
            return
        # a late trade: find its candle (usually among the last few)
        for c in reversed(candles):
            if c.start_ms == start:
                if c.trades == 0:  # a gap-filled placeholder gets its first real trade
                    c.open = c.high = c.low = c.close = px
                    c.add(px, q)
                else:  # a late print changes high/low/volume, not the close
                    close = c.close
                    c.add(px, q)
                    c.close = close
                return
            if c.start_ms < start:
                break
        self.dropped += 1

    def add_trades(self, trades: Iterable[tuple[int, float, float]]) -> None:
        """Fold many ``(ts_ms, price, qty)`` trades."""
        for ts, p, q in trades:
            self.add_trade(ts, p, q)

    def candles(self, n: int | None = None) -> list[Candle]:
        """Copies of the newest ``n`` candles (all when None), oldest first."""
        items = list(self._candles) if n is None else list(self._candles)[-n:]
        return [Candle(c.start_ms, c.open, c.high, c.low, c.close, c.volume, c.trades) for c in items]

    def last(self) -> Candle | None:
        """The newest candle (live object; do not mutate), if any."""
        return self._candles[-1] if self._candles else None

    def __len__(self) -> int:
        return len(self._candles)


class CandleSeries:
    """A venue's candles of one symbol and timeframe, oldest first, at most ``max_candles``.

    A kline push carries the whole current candle, so :meth:`upsert` replaces the candle with
    the same start or appends a newer one. :meth:`seed` merges REST history without overwriting
    candles the stream already delivered (a push is never older than the history request that
    raced it by more than one push interval, and the next push corrects the current candle).
    ``version`` increases on every change so readers can skip unchanged frames.
    """

    def __init__(self, max_candles: int = 300) -> None:
        if max_candles <= 0:
            raise ValueError("max_candles must be positive")
        self.max_candles = max_candles
        self._candles: deque[Candle] = deque(maxlen=max_candles)
        self.version = 0

    def upsert(self, candle: Candle) -> None:
        """Apply one pushed candle (the current one, or the one that just closed)."""
        candles = self._candles
        if not candles or candle.start_ms > candles[-1].start_ms:
            candles.append(_copy(candle))
        elif candle.start_ms == candles[-1].start_ms:
            candles[-1] = _copy(candle)
        else:
            self._merge([candle], replace=True)
            return
        self.version += 1

    def seed(self, history: Iterable[Candle]) -> None:
        """Merge REST history (any order); candles already held win."""
        self._merge(list(history), replace=False)

    def _merge(self, items: list[Candle], *, replace: bool) -> None:
        by_start = {c.start_ms: c for c in self._candles}
        changed = False
        for c in items:
            if replace or c.start_ms not in by_start:
                by_start[c.start_ms] = _copy(c)
                changed = True
        if not changed:
            return
        ordered = sorted(by_start.values(), key=lambda c: c.start_ms)
        self._candles = deque(ordered[-self.max_candles :], maxlen=self.max_candles)
        self.version += 1

    def candles(self, n: int | None = None) -> list[Candle]:
        """Copies of the newest ``n`` candles (all when None), oldest first."""
        items = list(self._candles) if n is None else list(self._candles)[-n:] if n > 0 else []
        return [_copy(c) for c in items]

    def __len__(self) -> int:
        return len(self._candles)


def _copy(c: Candle) -> Candle:
    return Candle(c.start_ms, c.open, c.high, c.low, c.close, c.volume, c.trades)
