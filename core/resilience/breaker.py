"""Per-endpoint circuit breaker: stop hammering a REST path that keeps failing.

closed --(``open_after`` infrastructure failures within ``window_s``)--> open
open --(``half_open_after_s`` elapsed; the next ``allow`` admits one trial call)--> half_open
half_open --trial succeeds--> closed;  half_open --trial fails--> open (timer restarts)

Only transient / infrastructure failures count (timeouts, resets, server errors, unknown
outcomes: :class:`~core.resilience.errors.Transient`, :class:`~core.resilience.errors.Unknown`, raw
exceptions and strings). Business rejections never trip a breaker, and neither do rate limits or
timestamp errors: the rate limiter and the retry policy own those. This breaker guards *endpoints*;
the risk chain's account-level breakers (daily loss, ...) live in core.risk.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from core.resilience.errors import Transient, Unknown, VenueError


class BreakerState(StrEnum):
    """Circuit state of one endpoint."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(VenueError):
    """The endpoint's circuit is open; ``half_open_at`` is the monotonic time a trial is allowed."""

    def __init__(self, endpoint: str, half_open_at: float, retry_in_s: float, reason: str = "") -> None:
        super().__init__(f"circuit open, trial in {retry_in_s:.1f}s ({reason})", endpoint=endpoint)
        self.half_open_at = half_open_at
        self.retry_in_s = retry_in_s
        self.reason = reason


@dataclass(slots=True)
class _Circuit:
    state: BreakerState = BreakerState.CLOSED
    failures: deque[float] = field(default_factory=deque)
    opened_at: float = 0.0
    trial_started: float | None = None
    reason: str = ""


StateListener = Callable[[str, BreakerState, str], None]
"""(endpoint, new state, reason), called outside the lock on every transition."""


class EndpointBreaker:
    """Circuit breakers keyed by endpoint path. Thread-safe; ``clock`` is monotonic seconds."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        open_after: int = 5,
        window_s: float = 60.0,
        half_open_after_s: float = 30.0,
        on_change: StateListener | None = None,
    ) -> None:
        self._clock = clock
        self.open_after = open_after
        self.window_s = window_s
        self.half_open_after_s = half_open_after_s
        self._on_change = on_change
        self._lock = threading.Lock()
        self._circuits: dict[str, _Circuit] = {}

    def _circuit(self, endpoint: str) -> _Circuit:
        c = self._circuits.get(endpoint)
        if c is None:
            c = self._circuits[endpoint] = _Circuit()
        return c

    def _notify(self, endpoint: str, state: BreakerState, reason: str) -> None:
        if self._on_change is not None:
            self._on_change(endpoint, state, reason)

    def allow(self, endpoint: str) -> bool:
        """May a call to ``endpoint`` go out now? In half-open, only one trial at a time is admitted."""
        changed = False
        with self._lock:
            c = self._circuits.get(endpoint)
            if c is None or c.state is BreakerState.CLOSED:
                return True
            now = self._clock()
            if c.state is BreakerState.OPEN:
                if now < c.opened_at + self.half_open_after_s:
                    return False
                c.state = BreakerState.HALF_OPEN
                c.trial_started = now
                changed = True
                reason = c.reason
            else:  # half-open: one trial in flight; a lost trial is replaced after another period
                if c.trial_started is not None and now < c.trial_started + self.half_open_after_s:
                    return False
                c.trial_started = now
                return True
        if changed:
            self._notify(endpoint, BreakerState.HALF_OPEN, reason)
        return True

    def check(self, endpoint: str) -> None:
        """Raise :class:`CircuitOpen` unless :meth:`allow` admits the call."""
        if self.allow(endpoint):
            return
        with self._lock:
            c = self._circuit(endpoint)
            base = c.opened_at if c.state is BreakerState.OPEN else (c.trial_started or c.opened_at)
            at = base + self.half_open_after_s
            reason = c.reason
        raise CircuitOpen(endpoint, at, max(0.0, at - self._clock()), reason)

    def record_success(self, endpoint: str) -> None:
        """A call to ``endpoint`` succeeded: a half-open circuit closes."""
        with self._lock:
            c = self._circuits.get(endpoint)
            if c is None or c.state is BreakerState.CLOSED:
                return
            c.state = BreakerState.CLOSED
            c.failures.clear()
            c.trial_started = None
            c.reason = ""
        self._notify(endpoint, BreakerState.CLOSED, "trial call succeeded")

    def record_failure(self, endpoint: str, error: BaseException | str | None = None) -> bool:
        """Count a failure; returns True if the circuit is (now) open.

        Classified errors other than :class:`Transient` / :class:`Unknown` (rejections, rate limits,
        timestamp errors) are ignored and return False.
        """
        if isinstance(error, VenueError) and not isinstance(error, Transient | Unknown):
            return False
        reason = _reason(error)
        with self._lock:
            now = self._clock()
            c = self._circuit(endpoint)
            if c.state is BreakerState.OPEN:
                return True
            if c.state is BreakerState.HALF_OPEN:
                c.state = BreakerState.OPEN
                c.opened_at = now
                c.trial_started = None
                c.reason = f"trial failed: {reason}"
                notify = c.reason
            else:
                c.failures.append(now)
                cutoff = now - self.window_s
                while c.failures and c.failures[0] <= cutoff:
                    c.failures.popleft()
                if len(c.failures) < self.open_after:
                    return False
                c.state = BreakerState.OPEN
                c.opened_at = now
                c.reason = f"{len(c.failures)} failures in {self.window_s:g}s, last: {reason}"
                c.failures.clear()
                notify = c.reason
        self._notify(endpoint, BreakerState.OPEN, notify)
        return True

    def reset(self, endpoint: str) -> None:
        """Force ``endpoint`` closed (an explicit, journaled user action in the engine)."""
        with self._lock:
            c = self._circuits.get(endpoint)
            if c is None or c.state is BreakerState.CLOSED:
                if c is not None:
                    c.failures.clear()
                return
            self._circuits[endpoint] = _Circuit()
        self._notify(endpoint, BreakerState.CLOSED, "reset")

    def state(self, endpoint: str) -> BreakerState:
        """Current state of ``endpoint`` (an open circuit past its timer still reads ``open``)."""
        with self._lock:
            c = self._circuits.get(endpoint)
            return c.state if c is not None else BreakerState.CLOSED

    def states(self) -> dict[str, tuple[str, str]]:
        """``{endpoint: (state, reason)}`` for every endpoint seen so far."""
        with self._lock:
            return {ep: (c.state.value, c.reason) for ep, c in self._circuits.items()}

    def any_open(self) -> bool:
        """True if any endpoint is open or half-open."""
        with self._lock:
            return any(c.state is not BreakerState.CLOSED for c in self._circuits.values())


def _reason(error: BaseException | str | None) -> str:
    if error is None:
        return "failure"
    if isinstance(error, str):
        return error
    return str(error) or type(error).__name__
