"""Errors classification and the tenacity retry policy (no real sleeping)."""

from __future__ import annotations

import errno
import random
import socket

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from core.resilience.breaker import CircuitOpen, EndpointBreaker
from core.resilience.errors import (
    RateLimited,
    Rejected,
    TimestampError,
    Transient,
    Unknown,
    classify,
    classify_exception,
    never_sent,
)
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy, call_with_retry, call_with_retry_sync

WALL_MS = 1_700_000_000_000
EP = "/v5/order/create"


class Sleeper:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, s: float) -> None:
        self.delays.append(s)

    def sync(self, s: float) -> None:
        self.delays.append(s)


def policy(sleeper: Sleeper, max_total_delay_s: float = 120.0) -> RetryPolicy:
    return RetryPolicy(
        sleep=sleeper,
        sync_sleep=sleeper.sync,
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


# --- classification ------------------------------------------------------------------------
def test_classify_ret_codes() -> None:
    assert classify(ret_code=0) is None
    rl = classify(ret_code=10006, reset_ms=123)
    assert isinstance(rl, RateLimited) and rl.reset_ms == 123
    assert isinstance(classify(ret_code=10002), TimestampError)
    assert isinstance(classify(ret_code=10016, idempotent=True), Transient)
    assert isinstance(classify(ret_code=10000, idempotent=False), Unknown)
    rej = classify(ret_code=110007, message="ab not enough for new order")
    assert isinstance(rej, Rejected) and rej.ret_code == 110007


def test_classify_http_status() -> None:
    assert classify(http_status=200) is None
    assert isinstance(classify(http_status=502, idempotent=True), Transient)
    assert isinstance(classify(http_status=503, idempotent=False), Unknown)
    assert isinstance(classify(http_status=429), RateLimited)
    r = classify(http_status=403)
    assert isinstance(r, Rejected) and r.http_status == 403


def test_classify_exceptions() -> None:
    assert isinstance(classify_exception(requests.ReadTimeout(), idempotent=False), Unknown)
    assert isinstance(classify_exception(requests.ReadTimeout(), idempotent=True), Transient)
    ct = classify_exception(requests.ConnectTimeout(), idempotent=False)
    assert isinstance(ct, Transient) and not ct.sent
    assert isinstance(classify_exception(TimeoutError(), idempotent=False), Unknown)
    assert isinstance(classify_exception(ConnectionResetError(), idempotent=False), Unknown)
    refused = classify_exception(ConnectionRefusedError(errno.ECONNREFUSED, "refused"), idempotent=False)
    assert isinstance(refused, Transient) and not refused.sent
    # requests wraps urllib3: a refused connection deep in the chain proves nothing was sent
    wrapped = requests.ConnectionError(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert never_sent(wrapped)
    assert never_sent(socket.gaierror(-2, "Name or service not known"))
    assert classify_exception(ValueError("a bug")) is None


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
        return classify_exception(exc, endpoint=endpoint, idempotent=idempotent)

    s = Sleeper()
    fn = Failing(FakePybitError(10006))
    assert await call_with_retry(fn, endpoint=EP, idempotent=False, policy=policy(s), classify=cls) == "ok"


async def test_limiter_and_breaker_integration() -> None:
    t = [0.0]
    s = Sleeper()
    breaker = EndpointBreaker(lambda: t[0], open_after=2)
    limiter_sleeps: list[float] = []

    async def limiter_sleep(d: float) -> None:
        limiter_sleeps.append(d)
        t[0] += d

    limiter = RateLimiter(lambda: t[0], wall_ms=lambda: WALL_MS, sleep=limiter_sleep)
    fn = Failing(Transient("502"), Transient("502"), Transient("502"))
    with pytest.raises(CircuitOpen):
        await call_with_retry(
            fn,
            endpoint="/v5/position/list",
            idempotent=True,
            policy=policy(s),
            limiter=limiter,
            breaker=breaker,
        )
    assert fn.calls == 2
    # a 10006 blocks the limiter group: the retry then waits in the limiter until the reset
    fn2 = Failing(RateLimited(WALL_MS + 800))
    await call_with_retry(fn2, endpoint=EP, idempotent=False, policy=policy(s), limiter=limiter)
    assert fn2.calls == 2
    assert limiter_sleeps == pytest.approx([0.8])


def test_sync_wrapper() -> None:
    s = Sleeper()
    fn = Failing(RateLimited(None), requests.ConnectionError("reset"))
    assert (
        call_with_retry_sync(fn.sync, endpoint="/v5/position/list", idempotent=True, policy=policy(s)) == "ok"
    )
    assert fn.calls == 3 and len(s.delays) == 2
    fn2 = Failing(requests.ReadTimeout())
    with pytest.raises(Unknown):
        call_with_retry_sync(fn2.sync, endpoint=EP, idempotent=False, policy=policy(s))
    assert fn2.calls == 1
