"""Per-endpoint circuit breaker state machine."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.resilience.breaker import BreakerState, CircuitOpen, EndpointBreaker
from core.resilience.errors import RateLimited, Rejected, TimestampError, Transient, Unknown

EP = "/v5/order/create"


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make() -> tuple[EndpointBreaker, Clock, list[tuple[str, str, str]]]:
    clk = Clock()
    changes: list[tuple[str, str, str]] = []
    b = EndpointBreaker(clk, on_change=lambda ep, st_, r: changes.append((ep, st_.value, r)))
    return b, clk, changes


def test_opens_after_five_failures_in_window() -> None:
    b, clk, changes = make()
    for _ in range(4):
        assert not b.record_failure(EP, Transient("502"))
        clk.t += 1
    assert b.allow(EP)
    assert b.record_failure(EP, Transient("502"))
    assert b.state(EP) is BreakerState.OPEN
    assert not b.allow(EP)
    assert changes[-1][:2] == (EP, "open")
    state, reason = b.states()[EP]
    assert state == "open" and "502" in reason
    # other endpoints are unaffected
    assert b.allow("/v5/order/cancel")


def test_failures_outside_window_do_not_count() -> None:
    b, clk, _ = make()
    for _ in range(10):
        b.record_failure(EP, Transient("timeout"))
        clk.t += 15.0  # 5 failures span 60s -> the oldest has left the window
    assert b.state(EP) is BreakerState.CLOSED


def test_rejections_and_rate_limits_never_count() -> None:
    b, _, _ = make()
    for _ in range(20):
        assert not b.record_failure(EP, Rejected(110007, "insufficient"))
        assert not b.record_failure(EP, RateLimited(None))
        assert not b.record_failure(EP, TimestampError("10002"))
    assert b.state(EP) is BreakerState.CLOSED
    for _ in range(4):
        b.record_failure(EP, Unknown("timeout on create"))
    assert b.record_failure(EP, TimeoutError("raw"))


def test_half_open_single_trial_success_closes() -> None:
    b, clk, changes = make()
    for _ in range(5):
        b.record_failure(EP, "boom")
    clk.t += 29.9
    assert not b.allow(EP)
    with pytest.raises(CircuitOpen) as ei:
        b.check(EP)
    assert ei.value.endpoint == EP and ei.value.retry_in_s == pytest.approx(0.1)
    clk.t += 0.1
    assert b.allow(EP)  # the trial
    assert b.state(EP) is BreakerState.HALF_OPEN
    assert not b.allow(EP)  # only one trial at a time
    b.record_success(EP)
    assert b.state(EP) is BreakerState.CLOSED
    assert b.allow(EP)
    assert [c[1] for c in changes] == ["open", "half_open", "closed"]


def test_half_open_failure_reopens_and_restarts_timer() -> None:
    b, clk, _ = make()
    for _ in range(5):
        b.record_failure(EP, "boom")
    clk.t += 30
    assert b.allow(EP)
    assert b.record_failure(EP, Transient("still down"))
    assert b.state(EP) is BreakerState.OPEN
    clk.t += 29
    assert not b.allow(EP)
    clk.t += 1
    assert b.allow(EP)


def test_lost_trial_is_replaced_after_a_period() -> None:
    b, clk, _ = make()
    for _ in range(5):
        b.record_failure(EP, "boom")
    clk.t += 30
    assert b.allow(EP)
    clk.t += 30  # the trial never reported back
    assert b.allow(EP)


def test_reset() -> None:
    b, _, changes = make()
    for _ in range(5):
        b.record_failure(EP, "boom")
    assert b.any_open()
    b.reset(EP)
    assert b.state(EP) is BreakerState.CLOSED and not b.any_open()
    assert changes[-1] == (EP, "closed", "reset")


@settings(max_examples=80, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["fail", "ok", "allow"]), st.floats(min_value=0, max_value=20)), max_size=60
    )
)
def test_matches_reference_model(ops: list[tuple[str, float]]) -> None:
    clk = Clock()
    b = EndpointBreaker(clk)
    # reference model
    state, opened = "closed", 0.0
    fails: list[float] = []
    trial: float | None = None
    for op, dt in ops:
        clk.t += dt
        now = clk.t
        if op == "fail":
            b.record_failure(EP, "x")
            if state == "half_open":
                state, opened, trial = "open", now, None
            elif state == "closed":
                fails = [f for f in fails if f > now - 60] + [now]
                if len(fails) >= 5:
                    state, opened, fails = "open", now, []
        elif op == "ok":
            b.record_success(EP)
            if state != "closed":
                state, fails, trial = "closed", [], None
        else:
            got = b.allow(EP)
            if state == "closed":
                want = True
            elif state == "open":
                want = now >= opened + 30
                if want:
                    state, trial = "half_open", now
            else:
                want = trial is None or now >= trial + 30
                if want:
                    trial = now
            assert got == want
        assert b.state(EP).value == state
