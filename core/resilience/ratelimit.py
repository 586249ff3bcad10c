"""Client-side rate limiting, one sliding window per rate-limit group of the venue.

A venue supplies its :class:`RateTable` (``Venue.rate_table``): the groups and their limits, which
group each endpoint is in, and the IP-wide group every request also consumes (if any). A token
bucket with ``capacity == limit`` lets up to ``2 * limit`` requests through in one rolling window,
so each group here is a sliding-window log instead: it never admits more than ``limit`` requests in
any window of ``window_s`` seconds, which is exactly the rule of a rolling-window venue.

Every call takes its group's window *and* the IP window. :meth:`RateLimiter.observe` corrects a
group from the venue's own report (:class:`~core.venues.base.RateFeedback`: another client on the
same key, a higher tier's limit, a refusal).

Thread-safe: blocking venue calls run in worker threads, the engine on the event loop. Waiting
never spins: ``acquire`` sleeps (asynchronously) exactly until the oldest request leaves the window.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.venues.base import RateFeedback


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` requests in any ``window_s`` seconds."""

    count: int
    window_s: float = 1.0


def _one_group(_endpoint: str) -> str:
    return "default"


@dataclass(frozen=True, slots=True)
class RateTable:
    """A venue's rate limits: group -> :class:`Limit`, endpoint -> group, the shared IP group.

    ``group_of`` maps an endpoint (as ``Venue.endpoint_of`` names it) to its group; a group missing
    from ``limits`` gets ``default``. ``ip_group`` (when not None, and in ``limits``) is consumed by
    every request as well.
    """

    limits: Mapping[str, Limit] = field(default_factory=dict)
    group_of: Callable[[str], str] = _one_group
    ip_group: str | None = None
    default: Limit = Limit(10)

    @property
    def groups(self) -> tuple[str, ...]:
        """Every group the table names."""
        return tuple(self.limits)


class _Window:
    """A sliding-window log: timestamps (monotonic s) of the admitted requests still in the window."""

    __slots__ = ("limit", "window_s", "stamps", "blocked_until")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit.count
        self.window_s = limit.window_s
        self.stamps: deque[float] = deque()
        self.blocked_until = 0.0

    def prune(self, now: float) -> None:
        cutoff = now - self.window_s
        stamps = self.stamps
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()

    def wait_for(self, now: float, cost: int) -> float:
        """Seconds until ``cost`` requests fit (0 when they fit now). Call ``prune`` first."""
        wait = max(0.0, self.blocked_until - now)
        if cost > self.limit:
            cost = self.limit
        excess = len(self.stamps) + cost - self.limit
        if excess > 0:
            wait = max(wait, self.stamps[excess - 1] + self.window_s - now)
        return wait

    def remaining(self, now: float) -> int:
        if now < self.blocked_until:
            return 0
        return max(0, self.limit - len(self.stamps))


def _insert_sorted(stamps: deque[float], at: float, count: int) -> None:
    """Put ``count`` stamps at time ``at`` into the ascending log ``stamps``."""
    if count <= 0:
        return
    index = bisect.bisect_right(stamps, at)
    for _ in range(count):
        stamps.insert(index, at)


class RateLimiter:
    """Sliding-window limits per group of a venue's :class:`RateTable`, plus its IP window.

    ``clock`` returns monotonic seconds; ``wall_ms`` returns epoch milliseconds and is only used to
    turn a reported reset time into a monotonic deadline. ``sleep`` is the async sleep used by
    :meth:`acquire`. ``limits`` overrides some of the table's groups (tests, configuration).
    """

    def __init__(
        self,
        table: RateTable,
        clock: Callable[[], float] = time.monotonic,
        *,
        limits: Mapping[str, Limit] | None = None,
        wall_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        enabled: bool = True,
    ) -> None:
        merged = dict(table.limits)
        if limits:
            merged.update(limits)
        self.table = table
        self._clock = clock
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._sleep = sleep
        self._enabled = enabled
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {g: _Window(lim) for g, lim in merged.items()}
        ip = table.ip_group
        self._ip: _Window | None = self._windows.get(ip) if ip is not None else None

    def group_of(self, endpoint: str) -> str:
        """The group of ``endpoint`` in the venue's table."""
        return self.table.group_of(endpoint)

    # --- admission -----------------------------------------------------------------------
    def _window(self, group: str) -> _Window:
        w = self._windows.get(group)
        if w is None:
            w = self._windows[group] = _Window(self.table.default)
        return w

    def _wait_locked(self, endpoint: str, cost: int) -> tuple[float, _Window, float]:
        """(now, the endpoint's window, seconds until ``cost`` fits). Hold the lock."""
        now = self._clock()
        own = self._window(self.group_of(endpoint))
        own.prune(now)
        wait = own.wait_for(now, cost)
        ip = self._ip
        if ip is not None and ip is not own:
            ip.prune(now)
            wait = max(wait, ip.wait_for(now, 1))
        return now, own, wait

    def _reserve(self, endpoint: str, cost: int) -> float:
        """Admit now and return 0, or admit nothing and return the seconds to wait."""
        if not self._enabled:
            return 0.0
        with self._lock:
            now, own, wait = self._wait_locked(endpoint, cost)
            if wait > 0:
                return wait
            own.stamps.extend([now] * min(cost, own.limit))
            if self._ip is not None and own is not self._ip:
                self._ip.stamps.append(now)
            return 0.0

    def wait_time(self, endpoint: str, cost: int = 1) -> float:
        """Seconds until ``cost`` slots for ``endpoint`` would be free (0 if free now). Takes nothing."""
        if not self._enabled:
            return 0.0
        with self._lock:
            return self._wait_locked(endpoint, cost)[2]

    async def acquire(self, endpoint: str, cost: int = 1) -> float:
        """Wait (sleeping, never spinning) until ``cost`` slots are taken; returns seconds waited.

        ``cost`` is the number of orders for batch endpoints, 1 otherwise.
        """
        waited = 0.0
        while True:
            wait = self._reserve(endpoint, cost)
            if wait == 0.0:
                return waited
            waited += wait
            await self._sleep(wait)

    # --- correction from the venue -------------------------------------------------------
    def observe(self, feedback: RateFeedback) -> None:
        """Correct the endpoint's group from the venue's own report of its window.

        ``limit`` replaces the group's limit (a higher tier); ``remaining`` fills the window with
        phantom requests when the venue has seen more use than we have (another client on the same
        key); a zero remaining count blocks the group until ``reset_ms``.
        """
        limit, remaining, reset_ms = feedback.limit, feedback.remaining, feedback.reset_ms
        if limit is None and remaining is None:
            return
        group = self.group_of(feedback.endpoint)
        with self._lock:
            now = self._clock()
            w = self._window(group)
            w.prune(now)
            if limit is not None and limit > 0:
                w.limit = limit
            if remaining is None:
                return
            missing = w.limit - remaining - len(w.stamps)
            if remaining <= 0 and reset_ms is not None:
                # The venue's window restarts at its reset time: the use we did not see ends there,
                # not a whole window from now (a 10006 resetting in 100 ms costs 100 ms, not 1 s).
                deadline = self._deadline(now, reset_ms, w.window_s)
                w.blocked_until = max(w.blocked_until, deadline)
                _insert_sorted(w.stamps, deadline - w.window_s, missing)
            elif missing > 0:
                w.stamps.extend([now] * missing)

    def note_rate_limited(self, endpoint: str, reset_ms: int | None = None) -> None:
        """Record a rate-limit refusal: block the group until ``reset_ms`` (epoch ms) or one window."""
        group = self.group_of(endpoint)
        with self._lock:
            now = self._clock()
            w = self._window(group)
            until = now + w.window_s if reset_ms is None else self._deadline(now, reset_ms, w.window_s)
            w.blocked_until = max(w.blocked_until, until)

    def _deadline(self, now: float, reset_ms: int, window_s: float) -> float:
        """Monotonic deadline for an epoch-ms reset time, clamped to [now, now + 60 s]."""
        delta = (reset_ms - self._wall_ms()) / 1000.0
        return now + min(max(delta, 0.0), max(60.0, window_s))

    # --- observation ---------------------------------------------------------------------
    def headroom(self) -> dict[str, float]:
        """Free fraction (0..1) of every group's window right now, for risk meters and metrics."""
        out: dict[str, float] = {}
        with self._lock:
            now = self._clock()
            for group, w in self._windows.items():
                w.prune(now)
                out[group] = w.remaining(now) / w.limit if w.limit > 0 else 0.0
        return out

    def limit_of(self, group: str) -> int:
        """The current limit of ``group`` (after any correction from the venue)."""
        with self._lock:
            return self._window(group).limit
