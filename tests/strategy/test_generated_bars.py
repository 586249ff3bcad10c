"""The generated market is one market per seed: a bar depends on the seed and its time alone.

Before, the walk restarted at ``--from`` at the same price with the same draws, so an
out-of-sample range after a sweep replayed the very path the sweep was tuned on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.strategy.data import GENERATED_ANCHOR_MS as ANCHOR
from core.strategy.data import generated_bars

MINUTE = 60_000
DAY = 1440 * MINUTE


def _bars(start: int, end: int, seed: int = 7) -> dict[int, object]:
    return {b.ts_ms: b for b in generated_bars(seed, start, end)}


def test_a_later_range_continues_the_market() -> None:
    week = _bars(ANCHOR, ANCHOR + 4 * DAY)
    later = _bars(ANCHOR + 3 * DAY, ANCHOR + 4 * DAY)
    assert len(later) == 1440
    assert all(week[ts] == bar for ts, bar in later.items())
    first = generated_bars(7, ANCHOR, ANCHOR + DAY)
    assert next(iter(later.values())) != next(first)  # not the first day replayed


@settings(max_examples=25, deadline=None)
@given(
    a=st.integers(-3 * 1440, 3 * 1440),
    b=st.integers(-3 * 1440, 3 * 1440),
    n=st.integers(1, 200),
    seed=st.integers(0, 2**31),
)
def test_a_bar_is_the_same_whatever_the_range(a: int, b: int, n: int, seed: int) -> None:
    """Before and after the anchor, and across it."""
    one = _bars(ANCHOR + a * MINUTE, ANCHOR + (a + n) * MINUTE, seed)
    other = _bars(ANCHOR + b * MINUTE, ANCHOR + (b + n) * MINUTE, seed)
    assert len(one) == len(other) == n
    shared = one.keys() & other.keys()
    assert all(one[ts] == other[ts] for ts in shared)


def test_the_walk_is_continuous_across_the_anchor() -> None:
    bars = list(generated_bars(7, ANCHOR - 5 * MINUTE, ANCHOR + 5 * MINUTE))
    assert [b.ts_ms for b in bars] == [ANCHOR + k * MINUTE for k in range(-5, 5)]
    assert all(prev.close == nxt.open for prev, nxt in zip(bars, bars[1:], strict=False))
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in bars)
