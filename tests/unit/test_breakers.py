"""Account circuit breakers: exact trip points, stickiness, explicit resets, the daily rollover in
a non-UTC timezone, and the chain blocking risk-increasing orders (never reducing ones)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import BreakerSettings, RiskSettings
from core.model import Balance, Instrument, Mode, OrderRequest, OrderType, Position, Side
from core.orders.builder import OrderBuilder
from core.risk.breakers import (
    API_FAILURES,
    DAILY_LOSS,
    EXPOSURE,
    MIN_BALANCE,
    BreakerBoard,
    BreakerState,
)
from core.risk.chain import RiskChain
from core.risk.context import RiskContext


def board(tz: str = "UTC", **kw: object) -> BreakerBoard:
    s = BreakerSettings.model_validate({"timezone": tz, **kw})
    return BreakerBoard(s, exposure_cap=D("1000000"))


def ms(tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch ms of a local wall-clock time in ``tz``."""
    return int(datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def test_daily_loss_trips_exactly_at_the_limit() -> None:
    b = board()
    t = ms("UTC", 2026, 1, 5, 12, 0)
    assert b.update_pnl(t, D("0"), D("0")) == []
    assert b.update_pnl(t + 1, D("-3000"), D("-1999.99")) == []
    assert b.daily_loss == D("4999.99") and not b.is_tripped(DAILY_LOSS)
    changes = b.update_pnl(t + 2, D("-3000"), D("-2000"))
    assert len(changes) == 1
    c = changes[0]
    assert (c.name, c.old, c.new, c.who) == (DAILY_LOSS, BreakerState.CLOSED, BreakerState.OPEN, "auto")
    assert "daily loss 5,000.00 USDT >= limit 5,000.00 (breakers.daily_loss_limit" in c.reason
    assert "realised -3,000.00" in c.reason and "unrealised -2,000.00" in c.reason
    assert b.update_pnl(t + 3, D("-3000"), D("-2500")) == []  # already open: no duplicate change
    ev = c.to_event()
    assert (ev.name, ev.state, ev.ts_ms) == (DAILY_LOSS, "open", t + 2)


def test_daily_loss_is_measured_from_the_day_start_values() -> None:
    b = board()
    t = ms("UTC", 2026, 1, 5, 12, 0)
    b.update_pnl(t, D("10000"), D("-800"))  # first values seen: the baseline
    assert b.daily_pnl == 0
    b.update_pnl(t + 1, D("7000"), D("-2700"))
    assert b.daily_pnl == D("-4900") and not b.is_tripped(DAILY_LOSS)


def test_sticky_until_reset_then_reevaluated() -> None:
    b = board()
    t = ms("UTC", 2026, 1, 5, 12, 0)
    b.update_pnl(t, D(0), D(0))
    b.update_pnl(t + 1, D("-6000"), D(0))
    b.update_pnl(t + 2, D("-1000"), D(0))  # recovered, still tripped
    assert b.is_tripped(DAILY_LOSS) and "6,000.00" in b.reason(DAILY_LOSS)
    r = b.reset(DAILY_LOSS, who="alice", now_ms=t + 3)
    assert (r.old, r.new, r.who) == (BreakerState.OPEN, BreakerState.CLOSED, "alice")
    assert "reset by alice" in r.reason and "6,000.00" in r.reason
    assert not b.is_tripped(DAILY_LOSS)
    assert b.update_pnl(t + 4, D("-1000"), D(0)) == []
    assert [c.new for c in b.update_pnl(t + 5, D("-5000"), D(0))] == [BreakerState.OPEN]
    again = b.reset(MIN_BALANCE, now_ms=t + 6)
    assert again.old is BreakerState.CLOSED and "was not tripped" in again.reason
    with pytest.raises(KeyError):
        b.reset("nope")


@pytest.mark.parametrize("tz", ["America/New_York", "Asia/Tokyo", "Europe/Berlin"])
def test_daily_loss_rolls_over_at_local_midnight(tz: str) -> None:
    b = board(tz)
    before = ms(tz, 2026, 3, 28, 23, 59, 59) + 999  # Europe/Berlin switches to DST on the 29th
    midnight = ms(tz, 2026, 3, 29, 0, 0, 0)
    assert midnight - before == 1
    b.update_pnl(ms(tz, 2026, 3, 28, 9, 0), D(0), D(0))
    b.update_pnl(before - 60_000, D("-4000"), D("-999.99"))
    assert not b.is_tripped(DAILY_LOSS)
    # UTC midnight is not the local one: nothing happens there
    utc_midnight = ms("UTC", 2026, 3, 29, 0, 0) if tz != "Asia/Tokyo" else ms("UTC", 2026, 3, 28, 0, 0)
    if ms(tz, 2026, 3, 28, 9, 0) < utc_midnight < before:
        assert b.tick(utc_midnight) == []
    trip = b.update_pnl(before, D("-4000"), D("-1000"))
    assert [c.new for c in trip] == [BreakerState.OPEN]
    assert b.tick(before) == []
    roll = b.tick(midnight)
    assert len(roll) == 1 and roll[0].who == "day_rollover" and roll[0].new is BreakerState.CLOSED
    assert "2026-03-29" in roll[0].reason and tz in roll[0].reason
    assert not b.is_tripped(DAILY_LOSS) and b.daily_pnl == 0
    # the new day counts from the last values seen before midnight
    assert b.update_pnl(midnight + 1000, D("-6000"), D("-3999.99")) == []
    assert b.daily_loss == D("4999.99")
    assert [c.new for c in b.update_pnl(midnight + 2000, D("-6000"), D("-4000"))] == [BreakerState.OPEN]


@settings(max_examples=80, deadline=None)
@given(
    tz=st.sampled_from(["America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney", "Europe/London", "UTC"]),
    limit=st.integers(1, 100_000),
    loss_cents=st.integers(-1_000_000, 10_000_000),
    split=st.floats(0, 1),
    minutes_after_midnight=st.integers(0, 24 * 60 - 1),
)
def test_daily_loss_trip_point_property(
    tz: str, limit: int, loss_cents: int, split: float, minutes_after_midnight: int
) -> None:
    b = board(tz, daily_loss_limit=str(limit))
    day_start = ms(tz, 2026, 6, 10, 0, 0)
    yesterday = day_start - 3_600_000
    b.update_pnl(yesterday, D("-12345"), D("-678"))  # yesterday's state: the new day's baseline
    loss = D(loss_cents) / 100
    realised_part = (loss * D(str(round(split, 4)))).quantize(D("0.01"))
    unrealised_part = loss - realised_part
    now = day_start + minutes_after_midnight * 60_000
    changes = b.update_pnl(now, D("-12345") - realised_part, D("-678") - unrealised_part)
    assert b.daily_loss == max(D(0), loss)
    assert b.is_tripped(DAILY_LOSS) == (loss >= limit)
    assert [c.name for c in changes] == ([DAILY_LOSS] if loss >= limit else [])


def test_min_balance_and_exposure() -> None:
    b = board(min_balance="1000")
    t = 1_767_225_600_000
    assert b.update_balance(t, D("1000")) == []
    ch = b.update_balance(t, Balance("USDT", D("999.99"), D("999.99"), D(0)))
    assert (
        ch[0].name == MIN_BALANCE
        and "equity 999.99 USDT < min 1,000.00 (breakers.min_balance)" in ch[0].reason
    )
    assert b.update_balance(t, D("5000")) == [] and b.is_tripped(MIN_BALANCE)  # sticky
    assert b.update_exposure(t, D("1000000")) == []
    ch = b.update_exposure(t, D("1000000.01"))
    assert (
        ch[0].name == EXPOSURE
        and "1,000,000.01" in ch[0].reason
        and "risk.max_gross_exposure" in ch[0].reason
    )


def test_api_failures_within_window() -> None:
    b = board(api_failures=3, api_failure_window_s=10)
    t = 1_767_225_600_000
    assert b.record_api_failure(t, "timeout") == []
    assert b.record_api_failure(t + 5_000) == []
    assert b.record_api_success(t + 6_000) == []
    assert b.record_api_failure(t + 10_001) == []  # the first one left the window
    assert b.api_failures_in_window(t + 10_001) == 2
    ch = b.record_api_failure(t + 11_000, "HTTP 502")
    assert len(ch) == 1 and ch[0].name == API_FAILURES
    assert "3 API failures within 10 s >= limit 3" in ch[0].reason and "HTTP 502" in ch[0].reason
    assert "breakers.api_failures" in ch[0].reason
    b.reset(API_FAILURES, now_ms=t + 12_000)
    assert b.record_api_failure(t + 12_001) == [] and b.api_failures_in_window(t + 12_001) == 1


def test_snapshot_status_and_chain_integration() -> None:
    b = board(min_balance="1000")
    t = 1_767_225_600_000
    b.update_balance(t, D("500"))
    snap = b.snapshot()
    assert {s.name for s in snap} == {DAILY_LOSS, MIN_BALANCE, EXPOSURE, API_FAILURES}
    assert [s.name for s in snap if s.tripped] == [MIN_BALANCE]
    assert b.status_map()[MIN_BALANCE][0] == "open" and b.any_tripped
    inst = Instrument(
        "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
        D("1"), D("100"), D("0.01"),
    )  # fmt: skip
    ctx = RiskContext(
        mode=Mode.SIM,
        rest_url="http://127.0.0.1:8765",
        instrument=inst,
        mark_price=D("50000"),
        positions={"BTCUSDT": Position("BTCUSDT", Side.BUY, D("1"), D("50000"), D("50000"), D(0))},
        balance=Balance("USDT", D("500"), D("500"), D("500")),
        breakers=snap,
    )
    chain = RiskChain.from_settings(RiskSettings.model_validate({}))
    builder = OrderBuilder()
    buy = builder.build(OrderRequest("BTCUSDT", Side.BUY, D("0.001"), price=D("50000")), inst)
    blocked = chain.first_failure(buy, ctx)
    assert blocked is not None and blocked.check == "max_leverage"  # 50,050 / 500 equity
    only_breakers = RiskChain([c for c in chain.checks if c.name == "breakers"])
    r = only_breakers.first_failure(buy, ctx)
    assert r is not None and "min_balance" in r.reason and "500.00" in r.reason
    close = builder.build(
        OrderRequest("BTCUSDT", Side.SELL, D("1"), OrderType.MARKET, reduce_only=True),
        inst,
        ref_price=D("50000"),
    )
    assert chain.first_failure(close, ctx) is None
