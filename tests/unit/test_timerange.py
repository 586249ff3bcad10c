"""TimeRange: validation, exact chunking, day windows across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.market.timerange import BYBIT_HISTORY_MAX_SPAN_MS, MS_PER_DAY, TimeRange


def test_validation() -> None:
    with pytest.raises(ValueError):
        TimeRange(10, 10)
    with pytest.raises(ValueError):
        TimeRange(11, 10)
    with pytest.raises(ValueError):
        TimeRange(-1, 10)
    with pytest.raises(TypeError):
        TimeRange(1.5, 10)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TimeRange(True, 10)
    r = TimeRange(0, 10)
    assert r.duration_ms == 10 and 0 in r and 9 in r and 10 not in r


@settings(max_examples=100, deadline=None)
@given(
    start=st.integers(0, 2**41),
    span=st.integers(1, 60 * MS_PER_DAY),
    max_span=st.integers(1, 10 * MS_PER_DAY),
)
def test_chunks_cover_exactly_without_overlap(start: int, span: int, max_span: int) -> None:
    r = TimeRange(start, start + span)
    if span // max_span > 5000:
        max_span = span // 5000 + 1
    chunks = list(r.chunks(max_span))
    assert chunks[0].start_ms == r.start_ms and chunks[-1].end_ms == r.end_ms
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.end_ms == b.start_ms  # contiguous, no overlap, no hole
    assert all(0 < c.duration_ms <= max_span for c in chunks)
    assert sum(c.duration_ms for c in chunks) == r.duration_ms
    newest = list(r.chunks_newest_first(max_span))
    assert newest[0].end_ms == r.end_ms and newest[-1].start_ms == r.start_ms
    assert sum(c.duration_ms for c in newest) == r.duration_ms
    assert all(c.duration_ms <= max_span for c in newest)


def test_bybit_seven_day_chunks_and_params() -> None:
    now = 1_767_225_600_000
    r = TimeRange.last(timedelta(days=30), now)
    chunks = list(r.chunks())
    assert len(chunks) == 5 and all(c.duration_ms <= BYBIT_HISTORY_MAX_SPAN_MS for c in chunks)
    p = chunks[0].bybit_params()
    assert p == {"startTime": r.start_ms, "endTime": r.start_ms + BYBIT_HISTORY_MAX_SPAN_MS - 1}
    with pytest.raises(ValueError):
        list(r.chunks(0))


def test_last() -> None:
    assert TimeRange.last(1000, 5000) == TimeRange(4000, 5000)
    assert TimeRange.last(timedelta(hours=1), 10_000_000) == TimeRange(10_000_000 - 3_600_000, 10_000_000)
    with pytest.raises(ValueError):
        TimeRange.last(0, 5000)


def test_for_day_utc_and_dst() -> None:
    utc = TimeRange.for_day(date(2026, 1, 1))
    assert utc.start_ms == 1_767_225_600_000 and utc.duration_ms == MS_PER_DAY
    # Europe/Berlin springs forward on 2026-03-29 (23 h) and falls back on 2026-10-25 (25 h)
    assert TimeRange.for_day(date(2026, 3, 29), "Europe/Berlin").duration_ms == 23 * 3_600_000
    assert TimeRange.for_day(date(2026, 10, 25), "Europe/Berlin").duration_ms == 25 * 3_600_000
    ny = TimeRange.for_day(date(2026, 1, 1), "America/New_York")
    assert ny.start_ms == utc.start_ms + 5 * 3_600_000
    assert TimeRange.day_of(utc.start_ms + 123, "UTC") == utc


def test_between_intersect_str() -> None:
    a = TimeRange.between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    b = TimeRange(a.start_ms + 1000, a.end_ms + 1000)
    assert a.intersect(b) == TimeRange(a.start_ms + 1000, a.end_ms)
    assert a.intersect(TimeRange(a.end_ms, a.end_ms + 1)) is None
    with pytest.raises(ValueError):
        TimeRange.between(datetime(2026, 1, 1), datetime(2026, 1, 2))
    assert str(a) == "[2026-01-01T00:00:00.000Z, 2026-01-02T00:00:00.000Z)"
