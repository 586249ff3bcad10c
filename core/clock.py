"""Injectable clocks: the sim, the engine and the backtester never read wall time directly."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of time in milliseconds since the epoch, plus a monotonic reading."""

    def now_ms(self) -> int:
        """Wall-clock milliseconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Monotonic seconds, for measuring durations."""
        ...


class SystemClock:
    """The real clock."""

    def now_ms(self) -> int:
        """Wall-clock milliseconds since the epoch."""
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()


class FrozenClock:
    """A clock that only moves when told to. For snapshots, backtests and tests."""

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:
        self._ms = start_ms

    def now_ms(self) -> int:
        """The frozen time."""
        return self._ms

    def monotonic(self) -> float:
        """The frozen time in seconds."""
        return self._ms / 1000

    def advance(self, ms: int) -> None:
        """Move time forward by ``ms`` milliseconds."""
        self._ms += ms
