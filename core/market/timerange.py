"""Explicit half-open time ranges ``[start_ms, end_ms)`` for history queries.

No implicit defaults: every history call says exactly which window it wants. Bybit caps
order history, executions and closed PnL at 7 days per request, so :meth:`TimeRange.chunks`
splits a longer range into consecutive, non-overlapping pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

MS_PER_DAY = 86_400_000
BYBIT_HISTORY_MAX_SPAN_MS = 7 * MS_PER_DAY
"""Bybit's maximum ``endTime - startTime`` for order history, executions and closed PnL."""


def _to_ms(duration: timedelta | int) -> int:
    if isinstance(duration, timedelta):
        return int(duration / timedelta(milliseconds=1))
    return int(duration)


def _zone(tz: str | tzinfo) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The half-open interval ``[start_ms, end_ms)`` in epoch milliseconds; ``start_ms < end_ms``."""

    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        for name in ("start_ms", "end_ms"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"TimeRange.{name} must be an int (epoch ms), got {type(v).__name__}")
        if self.start_ms < 0:
            raise ValueError(f"TimeRange start_ms must be >= 0, got {self.start_ms}")
        if self.start_ms >= self.end_ms:
            raise ValueError(f"TimeRange needs start < end, got [{self.start_ms}, {self.end_ms})")

    @property
    def duration_ms(self) -> int:
        """Length in milliseconds."""
        return self.end_ms - self.start_ms

    def __contains__(self, ts_ms: object) -> bool:
        return isinstance(ts_ms, int) and self.start_ms <= ts_ms < self.end_ms

    def chunks(self, max_span_ms: int = BYBIT_HISTORY_MAX_SPAN_MS) -> Iterator[TimeRange]:
        """Consecutive ranges covering exactly this one, none longer than ``max_span_ms``, oldest first."""
        if max_span_ms <= 0:
            raise ValueError(f"max_span_ms must be > 0, got {max_span_ms}")
        start = self.start_ms
        while start < self.end_ms:
            end = min(start + max_span_ms, self.end_ms)
            yield TimeRange(start, end)
            start = end

    def chunks_newest_first(self, max_span_ms: int = BYBIT_HISTORY_MAX_SPAN_MS) -> Iterator[TimeRange]:
        """Like :meth:`chunks` but starting from the end (for "most recent first" views)."""
        end = self.end_ms
        while end > self.start_ms:
            start = max(end - max_span_ms, self.start_ms)
            yield TimeRange(start, end)
            end = start

    def intersect(self, other: TimeRange) -> TimeRange | None:
        """The overlap of two ranges, or None."""
        start, end = max(self.start_ms, other.start_ms), min(self.end_ms, other.end_ms)
        return TimeRange(start, end) if start < end else None

    def bybit_params(self) -> dict[str, int]:
        """``startTime``/``endTime`` for a Bybit history request covering this range.

        ``endTime`` is sent as ``end_ms - 1`` so consecutive chunks never share a millisecond
        whether the venue treats ``endTime`` as inclusive or exclusive.
        """
        return {"startTime": self.start_ms, "endTime": self.end_ms - 1}

    @classmethod
    def last(cls, duration: timedelta | int, now_ms: int) -> TimeRange:
        """The ``duration`` (timedelta or ms) ending at ``now_ms`` (exclusive)."""
        span = _to_ms(duration)
        if span <= 0:
            raise ValueError(f"duration must be positive, got {duration!r}")
        return cls(now_ms - span, now_ms)

    @classmethod
    def for_day(cls, day: date, tz: str | tzinfo = "UTC") -> TimeRange:
        """Local midnight to next local midnight of ``day`` in ``tz`` (23 or 25 h across DST changes)."""
        zone = _zone(tz)
        start = datetime.combine(day, time(0), tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        return cls(int(start.timestamp() * 1000), int(end.timestamp() * 1000))

    @classmethod
    def day_of(cls, ts_ms: int, tz: str | tzinfo = "UTC") -> TimeRange:
        """The local day (in ``tz``) containing ``ts_ms`` (e.g. the daily-loss window)."""
        zone = _zone(tz)
        return cls.for_day(datetime.fromtimestamp(ts_ms / 1000, tz=zone).date(), zone)

    @classmethod
    def between(cls, start: datetime, end: datetime) -> TimeRange:
        """From two timezone-aware datetimes."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("TimeRange.between needs timezone-aware datetimes")
        return cls(int(start.timestamp() * 1000), int(end.timestamp() * 1000))

    def __str__(self) -> str:
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
        s = datetime.fromtimestamp(self.start_ms / 1000, tz=UTC).strftime(fmt)[:-3]
        e = datetime.fromtimestamp(self.end_ms / 1000, tz=UTC).strftime(fmt)[:-3]
        return f"[{s}Z, {e}Z)"
