"""The dead-man's switch: armed at start when configured, re-armed on the engine clock, its state
published for the header, a failure shown; on the in-process venue the exchange cancels every
order once the engine's streams have been gone for the window (virtual clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.config import SIM_API_KEY
from core.engine import Engine
from core.engine.deadman import ARMED, FAILED, OFF
from core.events import DeadMansSwitchChanged
from core.model import OrderRequest, OrderType, Side
from core.resilience.errors import Transient
from core.resilience.retry import RetryPolicy
from core.sim.exchange import SimExchange
from core.venues.simulated import SimulatedVenue
from tests.support.venue_under_test import ONE_SYMBOL, SHORT_CHART_HISTORY, HttpVenue, InProcessVenue, fresh

SYM = "BTCUSDT"
WINDOW_S = 10
REARM_S = 30
SWITCH_TICK_MS = 500
"""The in-process market steps twice a second here: these scenarios let half a minute of market
time pass and are about the switch's timing on the engine clock (whole seconds), not about the
market's moves; at the default 50 ms those 600 steps were most of each scenario's time."""


def _venue() -> InProcessVenue:
    return InProcessVenue(
        venue=SimulatedVenue.prepared(tick_ms=SWITCH_TICK_MS, symbols=ONE_SYMBOL),
        chart_history=SHORT_CHART_HISTORY,
        symbols=ONE_SYMBOL,
    )


def _switch_events(engine: Engine) -> list[DeadMansSwitchChanged]:
    return [e for e in engine.store.drain_events(10_000) if isinstance(e, DeadMansSwitchChanged)]


@pytest.fixture
def inproc() -> InProcessVenue:
    return _venue()


async def _engine(inproc: InProcessVenue, tmp_path: Path, policy: RetryPolicy, window: int | None) -> Engine:
    settings = inproc.settings(tmp_path, venue={"name": "simulated", "dead_mans_switch_s": window})
    engine = inproc.engine(settings, retry_policy=policy)
    await engine.start()
    return engine


@pytest.fixture
async def armed(
    inproc: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> AsyncIterator[Engine]:
    engine = await _engine(inproc, tmp_path, fast_retry_policy, WINDOW_S)
    try:
        yield engine
    finally:
        await engine.stop()


async def test_off_unless_configured(
    inproc: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> None:
    engine = await _engine(inproc, tmp_path, fast_retry_policy, None)
    try:
        assert engine.deadman.status.state == OFF
        assert [e.state for e in _switch_events(engine)] == [OFF]
        assert inproc.venue.exchange.dcp.window_s("in-process") is None
    finally:
        await engine.stop()


async def test_armed_at_start_and_rearmed_on_the_engine_clock(armed: Engine, inproc: InProcessVenue) -> None:
    status = armed.deadman.status
    assert (status.state, status.window_s) == (ARMED, WINDOW_S)
    assert inproc.venue.exchange.dcp.window_s("in-process") == WINDOW_S
    events = _switch_events(armed)
    assert [(e.state, e.window_s) for e in events] == [(ARMED, WINDOW_S)]
    assert armed.deadman.arms == 1
    assert not await armed.deadman.tick()  # not due yet
    inproc.venue.advance((REARM_S - 1) * 1000)
    assert not await armed.deadman.tick()
    inproc.venue.advance(1000)
    assert await armed.deadman.tick()
    assert armed.deadman.arms == 2
    assert _switch_events(armed) == []  # same state: nothing new for the header


async def test_a_refused_arm_is_shown_and_tried_again(
    armed: Engine, inproc: InProcessVenue, monkeypatch: pytest.MonkeyPatch
) -> None:
    _switch_events(armed)

    def refuse(window_s: int) -> None:
        raise Transient("venue unreachable", endpoint="/v5/order/disconnected-cancel-all")

    monkeypatch.setattr(inproc.venue, "set_dead_mans_switch", refuse)
    inproc.venue.advance(REARM_S * 1000)
    await armed.deadman.tick()
    status = armed.deadman.status
    assert status.state == FAILED and "venue unreachable" in status.reason
    assert [e.state for e in _switch_events(armed)] == [FAILED]
    monkeypatch.undo()
    assert not await armed.deadman.tick()  # the retry waits its delay
    inproc.venue.advance(5000)
    assert await armed.deadman.tick()
    assert armed.deadman.status.state == ARMED
    assert [e.state for e in _switch_events(armed)] == [ARMED]


async def test_a_venue_without_a_switch_is_a_failure(
    tmp_path: Path, fast_retry_policy: RetryPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    inproc = _venue()
    venue = inproc.venue
    monkeypatch.setattr(venue, "capabilities", replace(venue.capabilities, dead_mans_switch=False))
    engine = await _engine(inproc, tmp_path, fast_retry_policy, WINDOW_S)
    try:
        status = engine.deadman.status
        assert status.state == FAILED and "has no dead-man's switch" in status.reason
        assert venue.exchange.dcp.window_s("in-process") is None
    finally:
        await engine.stop()


async def _resting_buy(engine: Engine, inproc: InProcessVenue) -> str:
    await inproc.wait_for(fresh(engine, SYM), what="a fresh book")
    ticker = engine.store.ticker(SYM)
    assert ticker is not None
    price = (ticker.mark_price * Decimal("0.9")).quantize(Decimal("0.1"))
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, price))
    assert res.ok, res
    assert res.order_link_id
    return res.order_link_id


def _status(inproc: InProcessVenue, link: str) -> Any:
    return inproc.order(link)["orderStatus"]


async def test_the_venue_cancels_after_the_engine_stops(
    inproc: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> None:
    engine = await _engine(inproc, tmp_path, fast_retry_policy, WINDOW_S)
    link = await _resting_buy(engine, inproc)
    await engine.stop()  # the streams go away; the window starts on the virtual clock
    inproc.venue.advance((WINDOW_S - 1) * 1000)
    assert _status(inproc, link) == "New"
    inproc.venue.advance(2000)
    row = inproc.order(link)
    assert (row["orderStatus"], row["cancelType"]) == ("Cancelled", "CancelByDCP")


async def test_over_http_the_bybit_adapter_arms_and_subscribes_dcp(
    http_venue: HttpVenue, tmp_path: Path, fast_retry_policy: RetryPolicy
) -> None:
    settings = http_venue.settings(tmp_path, venue={"dead_mans_switch_s": WINDOW_S})
    engine = http_venue.engine(settings, retry_policy=fast_retry_policy)
    await engine.start()
    try:
        assert (engine.deadman.status.state, engine.deadman.status.window_s) == (ARMED, WINDOW_S)
        sim = http_venue.sim

        def book() -> tuple[int | None, dict[str, int | None]]:
            ex = sim.exchange
            assert isinstance(ex, SimExchange)
            return ex.dcp.window_s(SIM_API_KEY), ex.dcp.connections(SIM_API_KEY)

        window, conns = sim.call(book)
        assert window == WINDOW_S
        assert list(conns.values()) == [None]  # the private stream subscribed dcp.future and is up
    finally:
        await engine.stop()
