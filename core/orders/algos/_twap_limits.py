"""The bounds of a TWAP's schedule, checked before it is built (:mod:`core.orders.algos.twap`).

The schedule is made slice by slice when the algo starts and whenever it is previewed (on every
keystroke of the ticket and the command line): an unbounded one (``twap buy 1 99999999h`` is six
billion slices at one a minute) would stall the engine's loop, and slices faster than one a
second are a burst of orders, not a TWAP.
"""

from __future__ import annotations

MAX_SLICES = 10_000
"""The schedule is built (and previewed) slice by slice: more would stall the engine's loop."""
MIN_SLICE_INTERVAL_MS = 1000
"""At most one slice a second: faster is a burst of orders, not a TWAP (and the venue's rate limit)."""
MAX_DURATION_MS = 7 * 24 * 3600 * 1000
"""A week: a longer schedule is a typo more often than a plan."""


def validate_schedule(duration_ms: int, slices: int) -> None:
    """The schedule's size: a bounded duration, a bounded count, at most one slice a second."""
    if duration_ms > MAX_DURATION_MS:
        raise ValueError(
            f"duration_ms: at most {MAX_DURATION_MS // 3_600_000}h is accepted, got {duration_ms // 1000}s"
        )
    if slices > MAX_SLICES:
        raise ValueError(f"slices: at most {MAX_SLICES} are accepted, got {slices}")
    if duration_ms < slices * MIN_SLICE_INTERVAL_MS:
        most = max(1, duration_ms // MIN_SLICE_INTERVAL_MS)
        raise ValueError(
            f"duration_ms/slices: {slices} slices in {duration_ms / 1000:g}s is more than one a second: "
            f"use at most {most} slices or a longer duration"
        )


__all__ = ["MAX_DURATION_MS", "MAX_SLICES", "MIN_SLICE_INTERVAL_MS", "validate_schedule"]
