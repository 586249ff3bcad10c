"""The sim's hooks a backtest leans on: a market driven to a bar's price, 24 h stats kept incrementally."""

from __future__ import annotations

import random
from bisect import bisect_left
from decimal import Decimal

from core.clock import FrozenClock
from core.sim._kline import DAY_MS, MINUTE_MS, Candles
from core.venues.simulated import SimulatedVenue

HOUR_MS = 3_600_000


def full_stats(c: Candles, now_ms: int) -> tuple[int, int, int, int, int, int]:
    """The 24 h stats by a walk over the whole window (the definition)."""
    minute = now_ms - now_ms % MINUTE_MS
    lo = bisect_left(c.starts, minute - DAY_MS + MINUTE_MS)
    hi = bisect_left(c.starts, minute)
    rows = c.rows[lo:]
    prev1 = c.rows[min(bisect_left(c.starts, minute - HOUR_MS), len(c.rows) - 1)][1]
    prev24 = c.rows[lo][1] if hi > lo else c.rows[-1][1]
    return (
        prev24,
        prev1,
        max(r[2] for r in rows),
        min(r[3] for r in rows),
        sum(r[5] for r in rows),
        sum(r[6] for r in rows),
    )


def test_incremental_24h_stats_match_the_full_walk() -> None:
    rng = random.Random(5)
    candles = Candles()
    ts, px = 1_767_225_600_000, 10_000
    for _ in range(5_000):
        jump = (
            rng.choice([1_000, 60_000, 600_000, 3 * HOUR_MS]) if rng.random() < 0.3 else rng.randint(0, 2_000)
        )
        ts += jump
        px += rng.randint(-5, 5)
        candles.add(ts, px, rng.randint(1, 9))
        if rng.random() < 0.2:
            assert candles.stats24h(ts) == full_stats(candles, ts)


def test_drive_moves_the_book_mark_and_last_price_to_the_bar_price() -> None:
    clock = FrozenClock()
    venue = SimulatedVenue(clock, seed=3, symbols=("BTCUSDT",))
    at = clock.now_ms() + MINUTE_MS
    venue.bars.drive("BTCUSDT", 61_234.5, at)
    assert clock.now_ms() == at
    book = venue.orderbook("BTCUSDT", 1)
    ticker = venue.ticker("BTCUSDT")
    assert ticker is not None
    assert book.bids[0][0] <= 61_234.5 <= book.asks[0][0]
    assert abs(ticker.last_price - Decimal("61234.5")) <= Decimal("0.1")
    assert abs(ticker.mark_price - Decimal("61234.5")) <= Decimal("0.1")
