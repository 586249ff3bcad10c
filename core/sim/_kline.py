"""1-minute candles built from trades, aggregated on demand to Bybit's other intervals."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from datetime import UTC, datetime

MINUTE_MS = 60_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
_MONDAY_OFFSET_MS = 4 * DAY_MS  # the epoch was a Thursday
DECEMBER = 12
"""The last month of the year (a monthly candle that starts in it ends in January)."""
INTERVALS: dict[str, int] = {
    "1": 1,
    "3": 3,
    "5": 5,
    "15": 15,
    "30": 30,
    "60": 60,
    "120": 120,
    "240": 240,
    "360": 360,
    "720": 720,
    "D": 1440,
    "W": 10080,
    "M": 0,
}
MAX_GAP_FILL = 1440

# A candle row: [start_ms, open, high, low, close, volume_lots, turnover_ticklots] (prices in ticks).
Candle = list[int]


def bucket_start(interval: str, ts: int) -> int:
    """Start (ms) of the ``interval`` candle containing ``ts``."""
    if interval == "M":
        d = datetime.fromtimestamp(ts / 1000, tz=UTC)
        return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp() * 1000)
    if interval == "W":
        return ts - (ts - _MONDAY_OFFSET_MS) % WEEK_MS
    span = INTERVALS[interval] * MINUTE_MS
    return ts - ts % span


def bucket_end(interval: str, start: int) -> int:
    """Last millisecond of the candle starting at ``start``."""
    if interval == "M":
        d = datetime.fromtimestamp(start / 1000, tz=UTC)
        y, m = (d.year + 1, 1) if d.month == DECEMBER else (d.year, d.month + 1)
        return int(datetime(y, m, 1, tzinfo=UTC).timestamp() * 1000) - 1
    if interval == "W":
        return start + WEEK_MS - 1
    return start + INTERVALS[interval] * MINUTE_MS - 1


class Candles:
    """One symbol's 1-minute candle history plus rolling 24 h statistics."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.rows: list[Candle] = []
        self._stats_minute = -1
        self._base: tuple[int, int, int, int, int, int, int] = (0, 0, 0, 0, 0, 0, 0)
        self._window = _Window()

    def add(self, ts: int, tick: int, lots: int) -> None:
        """Add one trade at ``ts``."""
        start = ts - ts % MINUTE_MS
        rows = self.rows
        if rows and rows[-1][0] == start:
            c = rows[-1]
            if tick > c[2]:
                c[2] = tick
            elif tick < c[3]:
                c[3] = tick
            c[4] = tick
            c[5] += lots
            c[6] += tick * lots
            return
        if rows and start < rows[-1][0]:  # a late trade (clock went backwards): fold into the last candle
            c = rows[-1]
            c[2] = max(c[2], tick)
            c[3] = min(c[3], tick)
            c[4] = tick
            c[5] += lots
            c[6] += tick * lots
            return
        if rows:
            last = rows[-1]
            gap_start = max(last[0] + MINUTE_MS, start - MAX_GAP_FILL * MINUTE_MS)
            for s in range(gap_start, start, MINUTE_MS):
                self.starts.append(s)
                rows.append([s, last[4], last[4], last[4], last[4], 0, 0])
        self.starts.append(start)
        rows.append([start, tick, tick, tick, tick, lots, tick * lots])

    def last_close(self) -> int | None:
        """Close of the latest candle in ticks."""
        return self.rows[-1][4] if self.rows else None

    def query(self, interval: str, start: int | None, end: int, limit: int) -> list[Candle]:
        """Aggregated candles with start in [start, end], newest first, at most ``limit``."""
        lo = 0 if start is None else bisect_left(self.starts, bucket_start("1", start))
        hi = bisect_right(self.starts, end)
        out: list[Candle] = []
        cur: Candle | None = None
        for i in range(hi - 1, lo - 1, -1):
            r = self.rows[i]
            b = r[0] if interval == "1" else bucket_start(interval, r[0])
            if start is not None and b < start:
                break
            if cur is None or cur[0] != b:
                if len(out) >= limit:
                    break
                cur = [b, r[1], r[2], r[3], r[4], r[5], r[6]]
                out.append(cur)
            else:  # walking backwards: this row is earlier than what cur holds
                cur[1] = r[1]
                cur[2] = max(cur[2], r[2])
                cur[3] = min(cur[3], r[3])
                cur[5] += r[5]
                cur[6] += r[6]
        return out

    def current(self, interval: str) -> Candle | None:
        """The latest (open) candle of ``interval``."""
        if not self.rows:
            return None
        b = bucket_start(interval, self.rows[-1][0])
        got = self.query(interval, b, self.rows[-1][0], 1)
        return got[0] if got else None

    def stats24h(self, now_ms: int) -> tuple[int, int, int, int, int, int]:
        """(prev24h, prev1h, high, low, volume_lots, turnover_ticklots) over the last 24 h, in ticks.

        The closed minutes of the window are kept incrementally (running sums and monotonic
        queues for the high and low), so a new minute costs the rows that enter and leave it,
        not a walk over the whole day; the current minute's rows are folded in on every call."""
        if not self.rows:
            return (0, 0, 0, 0, 0, 0)
        minute = now_ms - now_ms % MINUTE_MS
        if minute != self._stats_minute:
            self._stats_minute = minute
            lo = bisect_left(self.starts, minute - DAY_MS + MINUTE_MS)
            hi = bisect_left(self.starts, minute)
            self._window.slide(self.rows, lo, hi)
            if hi > lo:
                prev24 = self.rows[lo][1]
                h, low, v, t = self._window.totals(self.rows)
            else:
                h, low, v, t, prev24 = 0, 0, 0, 0, self.rows[-1][1]
            i1 = bisect_left(self.starts, minute - 3_600_000)
            prev1 = self.rows[min(i1, len(self.rows) - 1)][1]
            self._base = (prev24, prev1, h, low, v, t, hi)
        prev24, prev1, h, low, v, t, hi = self._base
        for r in self.rows[hi:]:
            h = max(h, r[2])
            low = r[3] if low == 0 else min(low, r[3])
            v += r[5]
            t += r[6]
        return prev24, prev1, h, low, v, t


class _Window:
    """Rows ``[lo, hi)`` of a candle list: running volume and turnover sums, and monotonic index
    queues whose fronts are the window's highest high and lowest low."""

    def __init__(self) -> None:
        self.lo = 0
        self.hi = 0
        self.volume = 0
        self.turnover = 0
        self.highs: deque[int] = deque()
        self.lows: deque[int] = deque()

    def _reset(self, at: int) -> None:
        self.lo = self.hi = at
        self.volume = self.turnover = 0
        self.highs.clear()
        self.lows.clear()

    def slide(self, rows: list[Candle], lo: int, hi: int) -> None:
        """Move the window to ``[lo, hi)`` (``lo <= hi``); a window that moves back is rebuilt."""
        if lo < self.lo or hi < self.hi:
            self._reset(lo)
        for i in range(self.hi, hi):
            r = rows[i]
            self.volume += r[5]
            self.turnover += r[6]
            while self.highs and rows[self.highs[-1]][2] <= r[2]:
                self.highs.pop()
            self.highs.append(i)
            while self.lows and rows[self.lows[-1]][3] >= r[3]:
                self.lows.pop()
            self.lows.append(i)
        for i in range(self.lo, lo):
            self.volume -= rows[i][5]
            self.turnover -= rows[i][6]
        while self.highs and self.highs[0] < lo:
            self.highs.popleft()
        while self.lows and self.lows[0] < lo:
            self.lows.popleft()
        self.lo, self.hi = lo, hi

    def totals(self, rows: list[Candle]) -> tuple[int, int, int, int]:
        """(high, low, volume, turnover) of the window (it must not be empty)."""
        return rows[self.highs[0]][2], rows[self.lows[0]][3], self.volume, self.turnover
