"""Retry policy on tenacity: exponential backoff with full jitter, reset-timestamp aware.

* :class:`RateLimited`: wait until the reset time when the venue gave one in the future, else
  full jitter ``uniform(0, min(cap, base * 2**n))``: 1 s start, 60 s cap.
* :class:`TimestampError`: retried (the call re-signs with a fresh timestamp).
* Timeouts, resets, server errors (:class:`Transient`): retried only when ``idempotent=True``.
  A non-idempotent call gets exactly one try and surfaces :class:`Unknown` or :class:`Transient`.
* :class:`Rejected` and :class:`Unknown`: never retried.

Each attempt is one pass of the executor's pipeline (rate limiter -> endpoint breaker -> venue
call -> classify -> record, :mod:`core.orders.executor`); this module only decides whether and
when to try again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from core.resilience.errors import (
    RateLimited,
    VenueError,
    classify_network_exception,
    should_retry,
)

T = TypeVar("T")

Classifier = Callable[[BaseException, str, bool], "VenueError | None"]
"""(exception, endpoint, idempotent) -> classified error, or None to let the exception propagate."""
OnRetry = Callable[[int, VenueError, float], None]
"""(attempt number that failed, its error, seconds until the next attempt)."""


def _default_classifier(exc: BaseException, endpoint: str, idempotent: bool) -> VenueError | None:
    return classify_network_exception(exc, endpoint=endpoint, idempotent=idempotent)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff parameters. ``sleep``/``wall_ms``/``rng`` are injectable for tests."""

    base_s: float = 1.0
    cap_s: float = 60.0
    max_attempts: int = 5
    max_total_delay_s: float = 120.0
    reset_margin_s: float = 0.05
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    wall_ms: Callable[[], int] = field(default=lambda: time.time_ns() // 1_000_000)
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Full-jitter delay after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** (attempt - 1)))
        return self.rng.uniform(0.0, ceiling)

    def delay_for(self, err: VenueError, attempt: int) -> float:
        """Seconds to wait after ``attempt`` failed with ``err``."""
        if isinstance(err, RateLimited) and err.reset_ms is not None:
            until = (err.reset_ms - self.wall_ms()) / 1000.0
            if until > 0:
                return min(until + self.reset_margin_s, self.cap_s)
        return self.backoff(attempt)


class _Wait:
    """tenacity wait strategy delegating to the policy."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, rs: RetryCallState) -> float:
        assert rs.outcome is not None
        err = rs.outcome.exception()
        assert isinstance(err, VenueError)
        return self.policy.delay_for(err, rs.attempt_number)


class _Stop:
    """Stop after ``max_attempts``, or when the next sleep would exceed ``max_total_delay_s``."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, rs: RetryCallState) -> bool:
        if rs.attempt_number >= self.policy.max_attempts:
            return True
        return rs.idle_for + (rs.upcoming_sleep or 0.0) > self.policy.max_total_delay_s


def _retry_predicate(idempotent: bool) -> retry_if_exception:
    return retry_if_exception(lambda e: isinstance(e, VenueError) and should_retry(e, idempotent))


def _before_sleep(on_retry: OnRetry | None) -> Callable[[RetryCallState], None] | None:
    if on_retry is None:
        return None

    def hook(rs: RetryCallState) -> None:
        assert rs.outcome is not None
        err = rs.outcome.exception()
        assert isinstance(err, VenueError)
        on_retry(rs.attempt_number, err, rs.upcoming_sleep)

    return hook


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    endpoint: str,
    idempotent: bool,
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
    classify: Classifier | None = None,
) -> T:
    """Await ``fn()`` with the retry policy; raise the final classified :class:`VenueError`.

    ``fn`` is one whole attempt, fresh each time (the executor's pipeline: rate limiter ->
    endpoint breaker -> venue call -> classify -> record), reusing the same client order id.
    Exceptions ``classify`` does not recognise propagate unchanged (they are bugs, not venue
    failures). ``attempts`` on the raised error says how many tries were made.
    """
    cls = classify or _default_classifier
    attempts = 0

    async def attempt() -> T:
        nonlocal attempts
        attempts += 1
        try:
            return await fn()
        except Exception as exc:
            err = cls(exc, endpoint, idempotent)
            if err is None:
                raise
            err.attempts = attempts
            if err is exc:
                raise
            raise err from exc

    retrying = AsyncRetrying(
        retry=_retry_predicate(idempotent),
        wait=_Wait(policy),
        stop=_Stop(policy),
        sleep=policy.sleep,
        before_sleep=_before_sleep(on_retry),
        reraise=True,
    )
    return await retrying(attempt)
