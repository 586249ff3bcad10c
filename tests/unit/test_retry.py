"""The tenacity retry policy (no real sleeping); the classifier it is given is the venue's."""

from __future__ import annotations

import errno
import random

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from core.resilience.errors import (
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unknown,
    classify_network_exception,
)
from core.resilience.retry import RetryPolicy, call_with_retry
from core.venues.bybit.errors import classify

WALL_MS = 1_700_000_000_000
EP = "/v5/order/create"


class Sleeper:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, s: float) -> None:
        self.delays.append(s)


def policy(sleeper: Sleeper, max_total_delay_s: float = 120.0) -> RetryPolicy:
    return RetryPolicy(
        sleep=sleeper,
        wall_ms=lambda: WALL_MS,
        rng=random.Random(7),
        max_total_delay_s=max_total_delay_s,
    )


class Failing:
    """Raises the given exceptions in turn, then returns 'ok'."""

    def __init__(self, *excs: BaseException) -> None:
        self.excs = list(excs)
        self.calls = 0

    async def __call__(self) -> str:
        return self.sync()

    def sync(self) -> str:
        self.calls += 1
        if self.excs:
            raise self.excs.pop(0)
        return "ok"


# --- backoff schedule ----------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), attempts=st.integers(2, 10))
def test_backoff_within_full_jitter_bounds(seed: int, attempts: int) -> None:
    s = Sleeper()
    p = RetryPolicy(
        sleep=s,
        wall_ms=lambda: WALL_MS,
        rng=random.Random(seed),
        max_attempts=attempts,
        max_total_delay_s=1e9,
    )
    fn = Failing(*[RateLimited(None) for _ in range(attempts)])
    import asyncio

    with pytest.raises(RateLimited) as ei:
        asyncio.run(call_with_retry(fn, endpoint=EP, idempotent=False, policy=p))
    assert ei.value.attempts == attempts
    assert len(s.delays) == attempts - 1
    for n, d in enumerate(s.delays):
        assert 0.0 <= d <= min(60.0, 1.0 * 2**n)


async def test_rate_limited_honours_reset_timestamp() -> None:
    s = Sleeper()
    fn = Failing(RateLimited(WALL_MS + 1500), RateLimited(WALL_MS + 250))
    assert await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s)) == "ok"
    assert s.delays == pytest.approx([1.55, 0.30])


async def test_reset_timestamp_in_the_past_falls_back_to_backoff() -> None:
    s = Sleeper()
    fn = Failing(RateLimited(WALL_MS - 10_000))
    assert await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s)) == "ok"
    assert 0.0 <= s.delays[0] <= 1.0


async def test_far_reset_is_capped() -> None:
    s = Sleeper()
    fn = Failing(RateLimited(WALL_MS + 3_600_000))
    await call_with_retry(fn, endpoint=EP, idempotent=True, policy=policy(s))
    assert s.delays == [60.0]


async def test_non_idempotent_timeout_is_never_retried() -> None:
    s = Sleeper()
    fn = Failing(requests.ReadTimeout("read timed out"))
    with pytest.raises(Unknown) as ei:
        await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s))
    assert fn.calls == 1 and s.delays == []
    assert isinstance(ei.value.__cause__, requests.ReadTimeout)


async def test_non_idempotent_refused_surfaces_transient_once() -> None:
    s = Sleeper()
    fn = Failing(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    with pytest.raises(Transient):
        await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s))
    assert fn.calls == 1


async def test_idempotent_transient_is_retried() -> None:
    s = Sleeper()
    fn = Failing(requests.ReadTimeout(), ConnectionResetError(), Transient("HTTP 502"))
    retries: list[tuple[int, str, float]] = []
    out = await call_with_retry(
        fn,
        endpoint="/v5/order/realtime",
        idempotent=True,
        policy=policy(s),
        on_retry=lambda n, e, d: retries.append((n, type(e).__name__, d)),
    )
    assert out == "ok" and fn.calls == 4
    assert [r[:2] for r in retries] == [(1, "Transient"), (2, "Transient"), (3, "Transient")]
    assert [r[2] for r in retries] == s.delays


async def test_rejected_is_never_retried() -> None:
    s = Sleeper()
    fn = Failing(Rejected(110007, "ab not enough"))
    with pytest.raises(Rejected):
        await call_with_retry(fn, endpoint=EP, idempotent=True, policy=policy(s))
    assert fn.calls == 1


async def test_timestamp_error_retried_even_for_orders() -> None:
    s = Sleeper()
    fn = Failing(TimestampError("10002"))
    assert await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s)) == "ok"
    assert fn.calls == 2


async def test_max_total_delay_stops_early() -> None:
    s = Sleeper()
    fn = Failing(*[RateLimited(WALL_MS + 5000) for _ in range(10)])
    with pytest.raises(RateLimited) as ei:
        await call_with_retry(fn, endpoint=EP, idempotent=True, policy=policy(s, max_total_delay_s=12.0))
    assert sum(s.delays) <= 12.0
    assert ei.value.attempts == 3


async def test_unclassified_exception_propagates() -> None:
    s = Sleeper()
    fn = Failing(KeyError("bug"))
    with pytest.raises(KeyError):
        await call_with_retry(fn, endpoint=EP, idempotent=True, policy=policy(s))


async def test_custom_classifier_from_venue_layer() -> None:
    class FakePybitError(Exception):
        def __init__(self, status_code: int) -> None:
            super().__init__("x")
            self.status_code = status_code

    def cls(exc: BaseException, endpoint: str, idempotent: bool):  # type: ignore[no-untyped-def]
        if isinstance(exc, FakePybitError):
            return classify(ret_code=exc.status_code, endpoint=endpoint, idempotent=idempotent)
        return classify_network_exception(exc, endpoint=endpoint, idempotent=idempotent)

    s = Sleeper()
    fn = Failing(FakePybitError(10006))
    assert await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s), classify=cls) == "ok"
