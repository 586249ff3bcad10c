"""Bad values a venue sent, as the adapters rejected them: counted, logged, and shown by health.

The venue adapters refuse NaN, Infinity, negative sizes and the like at the boundary
(:mod:`core.venues.values`) and report each one here with the stream it came on
(``tickers.ETHUSDT``, ``orderbook.BTCUSDT``, ``wallet``, ``rest /v5/position/list`` ...).
:meth:`BadDataTracker.recent` is what ``/healthz`` shows (503 while a stream sent bad data within
:data:`WINDOW_S`); ``on_bad`` feeds the ``trade_console_bad_values`` counter. Feed threads and
REST worker threads report concurrently, so everything here is under one lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.venues.values import BadValue

log = logging.getLogger(__name__)

WINDOW_S = 30.0
"""A stream counts as sending bad data for this long after its last bad value."""


@dataclass(slots=True)
class _Seen:
    last_at: float
    detail: str
    in_window: int
    window_start: float


class BadDataTracker:
    """Counts and remembers the bad values each stream sent; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, window_s: float = WINDOW_S) -> None:
        self._clock = clock
        self.window_s = window_s
        self._lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        self.total = 0
        self.on_bad: Callable[[str, str], None] | None = None
        """Called with (stream, field) for every bad value (the engine counts it in its metrics)."""

    def report(self, stream: str, bad: BadValue, action: str = "dropped") -> None:
        """Record one rejected value; the first one per stream in a window is logged as a warning."""
        now = self._clock()
        detail = f"{bad} ({action})"
        with self._lock:
            self.total += 1
            seen = self._seen.get(stream)
            fresh = seen is None or now - seen.window_start > self.window_s
            if fresh:
                self._seen[stream] = _Seen(now, detail, 1, now)
            else:
                assert seen is not None
                seen.last_at, seen.detail = now, detail
                seen.in_window += 1
        if fresh:
            log.warning("bad value from the venue on %s: %s", stream, detail)
        if self.on_bad is not None:
            self.on_bad(stream, bad.field)

    def reporter(self, stream: str, action: str = "replaced") -> Callable[[BadValue], None]:
        """A :data:`core.venues.values.Report` that reports to this tracker as ``stream``."""
        return lambda bad: self.report(stream, bad, action)

    def recent(self) -> dict[str, str]:
        """Streams that sent a bad value within the window, each with the last one and a count."""
        now = self._clock()
        out: dict[str, str] = {}
        with self._lock:
            for stream, seen in self._seen.items():
                if now - seen.last_at <= self.window_s:
                    n = seen.in_window
                    since = now - seen.window_start
                    out[stream] = f"{seen.detail}; {n} bad value{'s' if n != 1 else ''} in {since:.0f} s"
        return out


__all__ = ["WINDOW_S", "BadDataTracker"]
