"""The rest of the port on Hyperliquid, end to end as a trader uses it: the real engine on the
Hyperliquid sim over loopback, checked on the venue's own records. Post-only (Alo) and trigger
orders, leverage, the public ``trades`` stream, cancel by cloid without the oid, and the dead-man's
switch (``scheduleCancel``) armed, heartbeated, shown in the header and firing once the engine is
gone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from console.app import TradeConsoleApp
from core.engine import Engine
from core.model import OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.sim.hyperliquid.records import HlOrder
from core.venues.hyperliquid import encode
from core.venues.hyperliquid.rest import HyperliquidVenue
from tests.support.hl_adapter import limit
from tests.support.hl_sim import HlSim, hl_sim, sim_settings
from tests.support.venue_under_test import fresh, wait_real

SYM = "ETHUSDT"
WAIT_S = 20.0
WINDOW_S = 10
SHORT_WINDOW_S = 3
"""The shortest window (Hyperliquid schedules at least 5 s ahead; re-armed every 1.5 s)."""
PAST_MS = 1000
RISING = 1
"""A trigger that fires when the price rises to it (Bybit's triggerDirection 1)."""
SIZE = (160, 50)


async def until(cond: Callable[[], bool], what: str) -> None:
    await wait_real(cond, WAIT_S, what)


def _engine(hl: HlSim, tmp_path: Path, **venue: object) -> Engine:
    settings = sim_settings(
        hl,
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        ui={"default_symbol": SYM},
        venue={"name": "hyperliquid", **venue},
    )
    return Engine(settings)


@pytest.fixture
async def engine(hl: HlSim, tmp_path: Path) -> AsyncIterator[Engine]:
    eng = _engine(hl, tmp_path)
    await eng.start()
    try:
        await until(fresh(eng, SYM), "a fresh book and ticker")
        yield eng
    finally:
        await eng.stop()


def venue_order(hl: HlSim, link: str) -> list[HlOrder]:
    return [o for o in hl.orders() if o.cloid == encode.cloid_of(link)]


async def test_post_only_rests_as_alo_and_one_that_would_cross_is_refused(engine: Engine, hl: HlSim) -> None:
    bid, ask = hl.bbo("ETH")
    passive = encode.round_price(bid * Decimal("0.98"), 2, Side.BUY)
    res = await engine.place(
        OrderRequest(
            SYM, Side.BUY, Decimal("0.5"), OrderType.LIMIT, passive, time_in_force=TimeInForce.POST_ONLY
        )
    )
    assert res.ok, res.message
    (resting,) = [o for o in hl.open_orders() if o.cloid == encode.cloid_of(res.order_link_id)]
    assert resting.tif == "Alo" and resting.limit_px == passive
    crossing = encode.round_price(ask * Decimal("1.01"), 2, Side.SELL)
    res = await engine.place(
        OrderRequest(
            SYM, Side.BUY, Decimal("0.5"), OrderType.LIMIT, crossing, time_in_force=TimeInForce.POST_ONLY
        )
    )
    assert not res.ok and "Post only order would have immediately matched" in res.message, res.message
    assert hl.position("ETH") == 0


async def test_a_stop_rests_as_a_trigger_fires_on_the_mark_and_fills(engine: Engine, hl: HlSim) -> None:
    mid = hl.mid("ETH")
    trigger = encode.round_price(mid * Decimal("1.02"), 2, Side.SELL)
    res = await engine.place(
        OrderRequest(
            SYM, Side.BUY, Decimal("0.5"), OrderType.MARKET, trigger_price=trigger, trigger_direction=RISING
        )
    )
    assert res.ok, res.message
    link = res.order_link_id
    (waiting,) = [o for o in hl.open_orders() if o.cloid == encode.cloid_of(link)]
    assert waiting.trigger_px == trigger and waiting.is_market and waiting.tpsl == "sl"
    await until(lambda: link in engine.state.orders, "the trigger order in the engine")
    hl.drive("ETH", float(trigger * Decimal("1.01")))
    hl.step(2)
    assert hl.position("ETH") == Decimal("0.5")
    await until(lambda: SYM in engine.state.positions, "the position the stop opened")


async def test_leverage_is_set_on_the_venue_and_a_fraction_is_refused_unsent(
    engine: Engine, hl: HlSim
) -> None:
    res = await engine.set_leverage(SYM, Decimal(7))
    assert res.ok, res.message
    res = await engine.set_leverage(SYM, Decimal("2.5"))  # Hyperliquid's step is 1: refused unsent
    assert not res.ok and res.check == "leverage_step" and "2.5" in res.message, res.message
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.MARKET))).ok
    (held,) = hl.state()["assetPositions"]
    assert held["position"]["leverage"] == {"type": "cross", "value": 7}


async def test_the_trades_stream_reaches_the_engine(engine: Engine, hl: HlSim) -> None:
    before = len(engine.store.trades(SYM))
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.MARKET))).ok
    await until(lambda: len(engine.store.trades(SYM)) > before, "a trade print for ETHUSDT")
    prints = engine.store.trades(SYM)[before:]
    assert all(t.symbol == SYM and t.price > 0 and t.qty > 0 for t in prints)
    assert any(t.side is Side.BUY for t in prints)  # our buy took liquidity: the aggressor's side


def test_cancel_by_cloid_needs_no_oid(hl: HlSim, venue: HyperliquidVenue) -> None:
    _, szd = venue.asset("ETH")
    px = encode.round_price(hl.mid("ETH") * Decimal("0.95"), szd, Side.BUY)
    venue.place(limit(venue, "tc-x1", Side.BUY, "0.5", px))
    restarted = HyperliquidVenue(sim_settings(hl))  # knows no oid: cancels by the client id alone
    restarted.cancel("ETHUSDT", "tc-x1")
    assert hl.open_orders() == []
    gone = restarted.find_order("ETHUSDT", "tc-x1")
    assert gone is not None and gone.status is OrderStatus.CANCELLED


async def test_the_switch_is_heartbeated_inside_its_window_and_fires_once_the_engine_is_gone(
    tmp_path: Path,
) -> None:
    """On a sim whose clock runs: scheduleCancel is a deadline, so the engine must set it again
    before it comes (every half window), or the venue cancels every order while the engine is
    alive; once the engine is gone the last deadline comes and the venue cancels."""
    with hl_sim(seed=7, live=True) as hl:
        engine = _engine(hl, tmp_path, dead_mans_switch_s=SHORT_WINDOW_S)
        await engine.start()
        try:
            assert engine.deadman.status.state == "armed"
            await until(fresh(engine, SYM), "a fresh book and ticker")
            price = encode.round_price(hl.mid("ETH") * Decimal("0.9"), 2, Side.BUY)
            res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.LIMIT, price))
            assert res.ok, res.message
            first = hl.scheduled_cancel()
            assert first is not None
            await until(lambda: hl.clock.now_ms() > first + PAST_MS, "the first deadline passed")
            (resting,) = venue_order(hl, res.order_link_id)
            assert resting.is_open, resting.status  # heartbeats moved the deadline on in time
            later = hl.scheduled_cancel()
            assert later is not None and later > first and engine.deadman.arms > 1
        finally:
            await engine.stop()
        await until(lambda: not hl.open_orders(), "the venue's cancel once no heartbeat comes")
        (cancelled,) = venue_order(hl, res.order_link_id)
        assert cancelled.status == "scheduledCancel"


async def test_the_header_shows_the_hyperliquid_switch(hl: HlSim, tmp_path: Path) -> None:
    engine = _engine(hl, tmp_path, dead_mans_switch_s=WINDOW_S)
    app = TradeConsoleApp(engine, engine.settings)

    def header() -> str:
        (line,) = app.main.header.status.lines
        return "".join(text for text, _ in line)

    async with app.run_test(size=SIZE) as pilot:
        for _ in range(int(WAIT_S * 10)):
            if app.engine_started and f"DMS {WINDOW_S}s" in header():
                break
            await pilot.pause(0.1)
        assert f"DMS {WINDOW_S}s" in header(), header()
        assert hl.scheduled_cancel() is not None
