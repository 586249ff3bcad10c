"""Each leg of the composite venue has its own rate table and breakers: the real engine on the
Bybit sim and the Hyperliquid sim over loopback. A Hyperliquid outage (every request answered
HTTP 500) trips ``api_failures:hyperliquid`` and the Hyperliquid endpoints' circuits only: Bybit
orders still go out and fill; new Hyperliquid orders are refused by name; the breaker is shown in
the risk status and reset like the others once Hyperliquid is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.venue_symbols import leg_of_endpoint
from tests.support.venue_under_test import fresh, wait_real
from tests.venue_multi.conftest import BothSims, multi_settings

WAIT_S = 20.0
HL_BREAKER = "api_failures:hyperliquid"
BYBIT_BREAKER = "api_failures:bybit"
OUTAGE = 10_000
"""Requests the Hyperliquid sim answers with HTTP 500 (more than the test makes)."""
HL_QTY, BYBIT_QTY = Decimal("0.01"), Decimal("0.01")


@pytest.fixture
async def engine(sims: BothSims, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = multi_settings(sims, tmp_path, breakers={"api_failures": 2, "endpoint_open_after": 2})
    eng = Engine(settings, retry_policy=RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=2))
    await eng.start()
    try:
        yield eng
    finally:
        sims.hl.fail_next(0)
        await eng.stop()


def test_each_leg_has_its_own_rate_limits(sims: BothSims, tmp_path: Path) -> None:
    from core.venues.registry import build_venue

    venue = build_venue(multi_settings(sims, tmp_path), now_ms=lambda: 0)
    route = getattr(venue, "endpoint_for")  # noqa: B009 - the composite's own method
    hl, bybit = route("place", "ETHUSDT.HL"), route("place", "ETHUSDT")
    assert leg_of_endpoint(hl) == "hyperliquid" and leg_of_endpoint(bybit) is None
    table = venue.rate_table
    assert table.group_of(hl) == "hyperliquid:exchange"
    hl_leg = getattr(venue, "legs")[1]  # noqa: B009 - the composite's legs
    assert table.limits["hyperliquid:exchange"] == hl_leg.rate_table.limits["exchange"]
    assert not table.group_of(bybit).startswith("hyperliquid")


async def test_a_hyperliquid_outage_leaves_bybit_orders_working(engine: Engine, sims: BothSims) -> None:
    for sym in ("ETHUSDT", "ETHUSDT.HL"):
        await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
    sims.hl.fail_next(OUTAGE)

    for _ in range(2):
        res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_QTY, OrderType.MARKET))
        assert not res.ok
    await wait_real(lambda: engine.guards.board.is_tripped(HL_BREAKER), WAIT_S, f"{HL_BREAKER} open")
    status = engine.risk_status().breakers
    assert status[HL_BREAKER][0] == "open"
    assert status["api_failures"][0] == "closed", status["api_failures"]
    tripped = [name for name, (state, _) in status.items() if state == "open"]
    assert all("hyperliquid" in name for name in tripped), tripped

    # Bybit is untouched: a risk-increasing order goes out and fills there
    res = await engine.place(OrderRequest("ETHUSDT", Side.BUY, BYBIT_QTY, OrderType.MARKET))
    assert res.ok, res.message
    assert sims.bybit_position("ETHUSDT") > 0
    # a new Hyperliquid order is refused by the leg's breaker, named
    res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_QTY, OrderType.MARKET))
    assert not res.ok and res.check == "breakers" and HL_BREAKER in res.message, res.message

    # Hyperliquid is back: the leg's breakers are reset like any other, and it trades again
    sims.hl.fail_next(0)
    for name in [HL_BREAKER, *(f"api:{k}" for k in engine.endpoint_breakers.states() if leg_of_endpoint(k))]:
        reset = await engine.reset_breaker(name, reason="hyperliquid back")
        assert reset.ok, reset.message
    assert engine.risk_status().breakers[HL_BREAKER][0] == "closed"
    res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_QTY, OrderType.MARKET))
    assert res.ok, res.message
    assert sims.hl.position("ETH") == HL_QTY
    trips = [r.data["name"] for r in engine.journal.query(kinds=("breaker_trip",))]
    assert HL_BREAKER in trips and "api_failures" not in trips


async def test_a_tripped_leg_breaker_is_still_open_after_a_restart(sims: BothSims, tmp_path: Path) -> None:
    settings = multi_settings(sims, tmp_path, breakers={"api_failures": 2, "endpoint_open_after": 2})
    policy = RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=2)
    first = Engine(settings, retry_policy=policy)
    await first.start()
    try:
        await wait_real(fresh(first, "ETHUSDT.HL"), WAIT_S, "a fresh ETHUSDT.HL book")
        sims.hl.fail_next(OUTAGE)
        for _ in range(2):
            await first.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_QTY, OrderType.MARKET))
        await wait_real(lambda: first.guards.board.is_tripped(HL_BREAKER), WAIT_S, f"{HL_BREAKER} open")
    finally:
        sims.hl.fail_next(0)
        await first.stop()

    again = Engine(settings, retry_policy=policy)
    await again.start()
    try:
        assert again.guards.board.is_tripped(HL_BREAKER)  # a restart is no way round a trip
        assert not again.guards.board.is_tripped("api_failures")
    finally:
        await again.stop()


async def test_a_bybit_outage_leaves_hyperliquid_orders_working(engine: Engine, sims: BothSims) -> None:
    for sym in ("ETHUSDT", "ETHUSDT.HL"):
        await wait_real(fresh(engine, sym), WAIT_S, f"a fresh book and ticker for {sym}")
    sims.bybit.set_faults("http5xx=1")
    try:
        for _ in range(2):
            res = await engine.place(OrderRequest("ETHUSDT", Side.BUY, BYBIT_QTY, OrderType.MARKET))
            assert not res.ok
        await wait_real(
            lambda: engine.guards.board.is_tripped(BYBIT_BREAKER), WAIT_S, f"{BYBIT_BREAKER} open"
        )
        assert not engine.guards.board.is_tripped(HL_BREAKER)
        assert not engine.guards.board.is_tripped("api_failures")
        res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, HL_QTY, OrderType.MARKET))
        assert res.ok, res.message
        assert sims.hl.position("ETH") == HL_QTY
        res = await engine.place(OrderRequest("ETHUSDT", Side.BUY, BYBIT_QTY, OrderType.MARKET))
        assert not res.ok and res.check == "breakers" and BYBIT_BREAKER in res.message, res.message
    finally:
        sims.bybit.set_faults("clear")
