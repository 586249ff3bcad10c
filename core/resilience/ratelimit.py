"""Client-side rate limiting for Bybit V5 REST, one sliding window per endpoint group.

Bybit limits private endpoints per UID with a *rolling 1 s window* per endpoint (retCode 10006 when
exceeded) and every REST request with an IP-level 600 requests / 5 s window (HTTP 403). A token
bucket with ``capacity == limit`` lets up to ``2 * limit`` requests through in one rolling window,
so each group here is a sliding-window log instead: it never admits more than ``limit`` requests in
any window of ``window_s`` seconds, which is exactly the server's rule.

Every call takes its group's window *and* the IP window. ``update_from_headers`` corrects a group
from the ``X-Bapi-Limit*`` response headers (another client on the same key, a VIP limit, a 10006).

Thread-safe: pybit calls run in worker threads, the engine on the event loop. Waiting never spins:
``acquire`` sleeps (asynchronously) exactly until the oldest request leaves the window.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

IP_GROUP = "ip"
"""The IP-level window every request also consumes."""
PUBLIC_GROUP = "public"
"""Public market endpoints: governed by the IP limit only (kept as its own group for headroom)."""
OTHER_GROUP = "private.other"
"""Private endpoints not in the table: a conservative default."""


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` requests in any ``window_s`` seconds."""

    count: int
    window_s: float = 1.0


# Bybit V5 linear, UTA Pro defaults (docs: rate-limit). Group name -> limit.
DEFAULT_LIMITS: dict[str, Limit] = {
    "order.create": Limit(10),
    "order.amend": Limit(10),
    "order.cancel": Limit(10),
    "order.cancel-all": Limit(10),
    "order.create-batch": Limit(10),
    "order.amend-batch": Limit(10),
    "order.cancel-batch": Limit(10),
    "order.pre-check": Limit(10),
    "order.realtime": Limit(50),
    "order.history": Limit(50),
    "execution.list": Limit(50),
    "position.list": Limit(50),
    "position.closed-pnl": Limit(50),
    "position.set-leverage": Limit(10),
    "position.switch-mode": Limit(10),
    "position.trading-stop": Limit(10),
    "position.set-auto-add-margin": Limit(10),
    "position.add-margin": Limit(10),
    "account.wallet-balance": Limit(50),
    "account.fee-rate": Limit(5),
    "account.info": Limit(50),
    "account.transaction-log": Limit(25),
    OTHER_GROUP: Limit(10),
    PUBLIC_GROUP: Limit(600, 5.0),
    IP_GROUP: Limit(600, 5.0),
}

_PATH_GROUPS: dict[str, str] = {
    "/v5/order/create": "order.create",
    "/v5/order/amend": "order.amend",
    "/v5/order/cancel": "order.cancel",
    "/v5/order/cancel-all": "order.cancel-all",
    "/v5/order/create-batch": "order.create-batch",
    "/v5/order/amend-batch": "order.amend-batch",
    "/v5/order/cancel-batch": "order.cancel-batch",
    "/v5/order/pre-check": "order.pre-check",
    "/v5/order/realtime": "order.realtime",
    "/v5/order/history": "order.history",
    "/v5/execution/list": "execution.list",
    "/v5/position/list": "position.list",
    "/v5/position/closed-pnl": "position.closed-pnl",
    "/v5/position/set-leverage": "position.set-leverage",
    "/v5/position/switch-mode": "position.switch-mode",
    "/v5/position/trading-stop": "position.trading-stop",
    "/v5/position/set-auto-add-margin": "position.set-auto-add-margin",
    "/v5/position/add-margin": "position.add-margin",
    "/v5/account/wallet-balance": "account.wallet-balance",
    "/v5/account/fee-rate": "account.fee-rate",
    "/v5/account/info": "account.info",
    "/v5/account/transaction-log": "account.transaction-log",
}


def group_for(path: str) -> str:
    """The limiter group of a REST path (a full URL or a query string is accepted too)."""
    p = path
    if "://" in p:
        p = "/" + p.split("://", 1)[1].split("/", 1)[-1]
    p = p.split("?", 1)[0].rstrip("/")
    group = _PATH_GROUPS.get(p)
    if group is not None:
        return group
    if p.startswith("/v5/market/") or p.startswith("/v5/announcements"):
        return PUBLIC_GROUP
    return OTHER_GROUP


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


class RateLimiter:
    """Sliding-window limits per Bybit endpoint group plus the shared IP window.

    ``clock`` returns monotonic seconds; ``wall_ms`` returns epoch milliseconds and is only used to
    turn ``X-Bapi-Limit-Reset-Timestamp`` into a monotonic deadline. ``sleep`` is the async sleep
    used by :meth:`acquire` and ``sync_sleep`` the blocking one used by :meth:`acquire_blocking`.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        limits: Mapping[str, Limit] | None = None,
        wall_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        sync_sleep: Callable[[float], None] = time.sleep,
        enabled: bool = True,
    ) -> None:
        merged = dict(DEFAULT_LIMITS)
        if limits:
            merged.update(limits)
        self._clock = clock
        self._wall_ms = wall_ms or (lambda: time.time_ns() // 1_000_000)
        self._sleep = sleep
        self._sync_sleep = sync_sleep
        self._enabled = enabled
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {g: _Window(lim) for g, lim in merged.items()}

    # --- admission -----------------------------------------------------------------------
    def _window(self, group: str) -> _Window:
        w = self._windows.get(group)
        if w is None:
            w = self._windows[group] = _Window(DEFAULT_LIMITS[OTHER_GROUP])
        return w

    def _wait_locked(self, path: str, cost: int) -> tuple[float, _Window, _Window, float]:
        """(now, the path's window, the IP window, seconds until ``cost`` fits). Hold the lock."""
        now = self._clock()
        own = self._window(group_for(path))
        ip = self._windows[IP_GROUP]
        own.prune(now)
        ip.prune(now)
        return now, own, ip, max(own.wait_for(now, cost), ip.wait_for(now, 1))

    def _reserve(self, path: str, cost: int) -> float:
        """Admit now and return 0, or admit nothing and return the seconds to wait."""
        if not self._enabled:
            return 0.0
        with self._lock:
            now, own, ip, wait = self._wait_locked(path, cost)
            if wait > 0:
                return wait
            own.stamps.extend([now] * min(cost, own.limit))
            if own is not ip:
                ip.stamps.append(now)
            return 0.0

    def try_acquire(self, path: str, cost: int = 1) -> bool:
        """Take ``cost`` slots for ``path`` if they are free right now; never waits."""
        return self._reserve(path, cost) == 0.0

    def wait_time(self, path: str, cost: int = 1) -> float:
        """Seconds until ``cost`` slots for ``path`` would be free (0 if free now). Takes nothing."""
        if not self._enabled:
            return 0.0
        with self._lock:
            return self._wait_locked(path, cost)[3]

    async def acquire(self, path: str, cost: int = 1) -> float:
        """Wait (sleeping, never spinning) until ``cost`` slots are taken; returns seconds waited.

        ``cost`` is the number of orders for the batch endpoints, 1 otherwise.
        """
        waited = 0.0
        while True:
            wait = self._reserve(path, cost)
            if wait == 0.0:
                return waited
            waited += wait
            await self._sleep(wait)

    def acquire_blocking(self, path: str, cost: int = 1) -> float:
        """Like :meth:`acquire` for worker threads (blocking sleep); returns seconds waited."""
        waited = 0.0
        while True:
            wait = self._reserve(path, cost)
            if wait == 0.0:
                return waited
            waited += wait
            self._sync_sleep(wait)

    # --- correction from the venue -------------------------------------------------------
    def update_from_headers(self, path: str, headers: Mapping[str, str]) -> None:
        """Correct ``path``'s group from Bybit's ``X-Bapi-Limit*`` response headers.

        ``X-Bapi-Limit`` replaces the group's limit (VIP upgrades); ``X-Bapi-Limit-Status`` (the
        remaining count) fills the window with phantom requests when the server has seen more use
        than we have (another client on the same key); a zero remaining count blocks the group
        until ``X-Bapi-Limit-Reset-Timestamp``. Header names are matched case-insensitively.
        """
        lowered = {str(k).lower(): v for k, v in headers.items()}
        limit = _int_or_none(lowered.get("x-bapi-limit"))
        remaining = _int_or_none(lowered.get("x-bapi-limit-status"))
        reset_ms = _int_or_none(lowered.get("x-bapi-limit-reset-timestamp"))
        if limit is None and remaining is None:
            return
        group = group_for(path)
        with self._lock:
            now = self._clock()
            w = self._window(group)
            w.prune(now)
            if limit is not None and limit > 0:
                w.limit = limit
            if remaining is not None:
                missing = w.limit - remaining - len(w.stamps)
                if missing > 0:
                    w.stamps.extend([now] * missing)
                if remaining <= 0 and reset_ms is not None:
                    w.blocked_until = max(w.blocked_until, self._deadline(now, reset_ms, w.window_s))

    def note_rate_limited(self, path: str, reset_ms: int | None = None) -> None:
        """Record a 10006 for ``path``: block its group until ``reset_ms`` (epoch ms) or one window."""
        group = group_for(path)
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
        """The current limit of ``group`` (after any header correction)."""
        with self._lock:
            return self._window(group).limit


def _int_or_none(value: object) -> int | None:
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
