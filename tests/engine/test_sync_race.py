"""A REST account snapshot racing orders and pushes never overrules what the engine heard later.

The venue may answer a snapshot before an order being placed right now reaches it, and a push
may arrive after a snapshot that the venue produced before the push's event. The engine used to
compare the snapshot's local start time with a placeholder's local creation time: an order acked
after the snapshot request went out, with its push still on the way (a slow private feed), was
marked Cancelled while it rested on the venue, and the max-open-orders check then let one more
order through than the limit.

The races are ordered deterministically with a gated venue: the real adapter (pybit over
loopback to the sim) whose calls wait at gates the test opens. The storm test at the end runs
the same race the way it was found: a slow private feed, placements and account syncs at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.events import OrderUpdated
from core.model import Order, OrderRequest, OrderStatus, OrderType, Position, Side
from core.orders.built import BuiltOrder
from core.sim.runner import SimVenueThread
from core.venues.base import PlaceAck
from core.venues.bybit.rest import BybitVenue
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueRows, WaitFor

GATE_S = 10.0


class GatedVenue(BybitVenue):
    """The real Bybit adapter; each gate holds one call until the test opens it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place_gate = _Gate()
        self.orders_gate = _Gate()
        self.positions_gate = _Gate()

    def place(self, order: BuiltOrder) -> PlaceAck:
        """Held before the request is sent: the venue has not seen the order yet."""
        self.place_gate.pass_through()
        return super().place(order)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Held after the venue answered: the snapshot is taken, its adoption waits."""
        out = super().open_orders(symbol)
        self.orders_gate.pass_through()
        return out

    def positions(self) -> list[Position]:
        """Held after the venue answered, like :meth:`open_orders`."""
        out = super().positions()
        self.positions_gate.pass_through()
        return out


class _Gate:
    """Armed by :meth:`close`, it holds the first call that arrives until :meth:`open`; other
    calls pass straight through."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = False
        self.opened = threading.Event()
        self.arrived = threading.Event()

    def close(self) -> None:
        with self._lock:
            self._armed = True
            self.arrived.clear()
            self.opened.clear()

    def open(self) -> None:
        self.opened.set()

    def pass_through(self) -> None:
        with self._lock:
            hold, self._armed = self._armed, False
        if hold:
            self.arrived.set()
            assert self.opened.wait(GATE_S), "the test never opened the gate"


@pytest.fixture
async def gated(
    sim: SimVenueThread, tmp_path: Path, engine_settings: EngineSettingsFactory
) -> AsyncIterator[tuple[Engine, GatedVenue]]:
    """An engine on the loopback sim whose adapter holds calls at the test's gates."""
    settings = engine_settings(sim, tmp_path)
    venue = GatedVenue(settings)
    engine = Engine(settings, venue=venue)
    await engine.start()
    try:
        yield engine, venue
    finally:
        for gate in (venue.place_gate, venue.orders_gate, venue.positions_gate):
            gate.open()
        sim.set_faults("")
        await engine.stop()


async def test_an_order_acked_after_the_snapshot_was_requested_is_not_cancelled(
    gated: tuple[Engine, GatedVenue],
    sim: SimVenueThread,
    below: Below,
    ready: Ready,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """Old code: the placeholder was created before the snapshot started, so the snapshot (which
    the venue answered before the order arrived) marked the acknowledged order Cancelled."""
    engine, venue = gated
    mark = await ready(engine)
    sim.set_faults("private_delay_ms=4000")  # the order's push arrives long after everything below
    venue.place_gate.close()
    venue.positions_gate.close()
    placing = asyncio.create_task(
        engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    )
    await wait_for(lambda: venue.place_gate.arrived.is_set())  # placeholder made, nothing sent
    syncing = asyncio.create_task(engine.account_sync.refresh_account())
    await wait_for(lambda: venue.positions_gate.arrived.is_set())  # open orders answered already
    venue.place_gate.open()
    res = await placing
    assert res.ok, res.message
    venue.positions_gate.open()
    orders, _ = await syncing
    assert res.order_link_id not in {o.order_link_id for o in orders}  # the snapshot missed it
    assert res.order_link_id in {o["orderLinkId"] for o in venue_open_orders(sim)}
    held = engine.state.orders.get(res.order_link_id)
    assert held is not None and held.status is OrderStatus.NEW, held
    assert sim.stats()["faults"]["injected"]["private_delayed"] >= 1  # its push is held back
    await engine.account_sync.refresh_account()  # a snapshot requested after the ack lists it
    assert res.order_link_id in engine.state.orders


async def test_a_snapshot_cannot_reopen_an_order_the_venue_finished_since(
    gated: tuple[Engine, GatedVenue],
    sim: SimVenueThread,
    below: Below,
    ready: Ready,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """Old code: the snapshot listed the order (New) from before its cancel; the Cancelled push had
    already removed it, so the stale listing put it back as working."""
    engine, venue = gated
    mark = await ready(engine)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(
        lambda: link in engine.state.orders and engine.state.orders[link].status is OrderStatus.NEW
    )
    venue.orders_gate.close()
    syncing = asyncio.create_task(engine.account_sync.refresh_account())
    await wait_for(lambda: venue.orders_gate.arrived.is_set())  # the snapshot lists it as New
    assert (await engine.cancel(link)).ok
    await wait_for(lambda: link not in engine.state.orders)  # the Cancelled push
    venue.orders_gate.open()
    orders, _ = await syncing
    assert link in {o.order_link_id for o in orders}
    assert link not in engine.state.orders
    assert link not in {o["orderLinkId"] for o in venue_open_orders(sim)}


async def test_a_snapshot_cannot_reopen_a_position_closed_since(
    gated: tuple[Engine, GatedVenue],
    sim: SimVenueThread,
    ready: Ready,
    venue_positions: VenueRows,
    wait_for: WaitFor,
) -> None:
    """Old code: the position list from before the close re-added the position the flat push had
    removed: a ghost position until the next sync."""
    engine, venue = gated
    await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    await asyncio.sleep(0.01)  # the close gets a later venue time than the open (ms resolution)
    venue.positions_gate.close()
    syncing = asyncio.create_task(engine.account_sync.refresh_account())
    await wait_for(venue.positions_gate.arrived.is_set)  # the snapshot lists the position open
    assert (await engine.close_position(SYM)).ok
    await wait_for(lambda: SYM not in engine.state.positions)  # the flat push
    venue.positions_gate.open()
    _, positions = await syncing
    assert SYM in {p.symbol for p in positions}
    assert SYM not in engine.state.positions
    assert venue_positions(sim) == []


async def test_slow_private_feed_storm_keeps_every_order_and_the_open_order_limit(
    sim: SimVenueThread,
    tmp_path: Path,
    below: Below,
    engine_settings: EngineSettingsFactory,
    ready: Ready,
    venue_open_orders: VenueRows,
    wait_for: WaitFor,
) -> None:
    """The race as found: a slow private feed, 40 placements and account syncs running at once.

    Old code: acknowledged orders were dropped as Cancelled while resting, so the engine's count
    fell below the venue's and the limit of 5 let a sixth order onto the venue.
    """
    engine = Engine(engine_settings(sim, tmp_path, risk={"max_open_orders": 5}))
    await engine.start()
    syncs = 0
    try:
        mark = await ready(engine)
        sim.set_faults("private_delay_ms=2000,latency_ms=2,jitter_ms=80")
        done = asyncio.Event()

        async def keep_syncing() -> None:
            nonlocal syncs
            while not done.is_set():
                await engine.account_sync.refresh_account()
                syncs += 1

        syncer = asyncio.create_task(keep_syncing())
        most = 0
        cancelled: set[str] = set()
        said_gone: set[str] = set()
        for i in range(40):
            price = below(mark, "0.97") - Decimal(i)
            res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, price))
            if not res.ok:  # at the limit: cancel the oldest (its push confirms it later)
                assert res.check == "max_open_orders", res.message
                left = [o for o in engine.state.orders.values() if o.order_link_id not in cancelled]
                if left:
                    oldest = min(left, key=lambda o: o.created_ms)
                    assert (await engine.cancel(oldest.order_link_id)).ok
                    cancelled.add(oldest.order_link_id)
            most = max(most, len(venue_open_orders(sim)))
            said_gone |= {
                ev.order.order_link_id
                for ev in engine.store.drain_events(100_000)
                if isinstance(ev, OrderUpdated) and ev.order.status is OrderStatus.CANCELLED
            }
        done.set()
        await syncer
        assert said_gone <= cancelled, f"reported cancelled, never cancelled: {said_gone - cancelled}"
        assert most <= 5
        sim.set_faults("")
        on_venue = {o["orderLinkId"] for o in venue_open_orders(sim)}
        await wait_for(lambda: set(engine.state.orders) == on_venue, timeout=10.0)
        assert syncs > 3  # the syncs really raced the placements
    finally:
        sim.set_faults("")
        await engine.cancel_all()
        await engine.stop()
