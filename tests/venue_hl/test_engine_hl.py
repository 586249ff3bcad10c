"""The real engine with ``venue.name = "hyperliquid"`` on the Hyperliquid sim over loopback: an
order placed, amended and cancelled through the one order path (builder -> risk chain -> journal
-> executor -> the adapter), checked on the venue's own records."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from core.engine import Engine
from core.model import OrderRequest, OrderStatus, OrderType, Side
from core.venues.hyperliquid import encode
from tests.support.hl_sim import HlSim
from tests.support.venue_under_test import fresh, wait_real

SYM = "ETHUSDT"


async def until(cond: Callable[[], bool], what: str) -> None:
    """Wait for ``cond`` on the engine's loop."""
    await wait_real(cond, 20.0, what)


async def test_place_amend_cancel_through_the_one_path(engine: Engine, hl: HlSim) -> None:
    assert engine.venue.name == "hyperliquid"
    await wait_real(fresh(engine, SYM), 20.0, "a fresh book and ticker")
    price = encode.round_price(hl.mid("ETH") * Decimal("0.97"), 2, Side.BUY)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.LIMIT, price))
    assert res.ok, res.message
    link = res.order_link_id
    cloid = encode.cloid_of(link)
    await until(
        lambda: link in engine.state.orders and engine.state.orders[link].status is OrderStatus.NEW, "New"
    )
    (on_venue,) = [o for o in hl.open_orders() if o.cloid == cloid]
    assert on_venue.limit_px == price and on_venue.orig_sz == Decimal("0.5")

    new_price = encode.round_price(price * Decimal("0.99"), 2, Side.BUY)
    res = await engine.amend(link, price=new_price, qty=Decimal("0.6"))
    assert res.ok, res.message
    (on_venue,) = [o for o in hl.open_orders() if o.cloid == cloid]
    assert on_venue.limit_px == new_price and on_venue.orig_sz == Decimal("0.6")
    # the venue pushes the modified order: the engine shows it without waiting for a resync
    await until(lambda: engine.state.orders[link].price == new_price, "the amended price pushed")
    assert engine.state.orders[link].qty == Decimal("0.6")

    res = await engine.cancel(link)
    assert res.ok, res.message
    await until(lambda: link not in engine.state.orders, "the cancel")
    assert [o for o in hl.open_orders() if o.cloid == cloid] == []
    kinds = [r.kind for r in engine.journal.query(order_link_id=link)]
    assert kinds[:3] == ["intent", "risk_decision", "request"]
    assert "ack" in kinds and "amend" in kinds and "cancel" in kinds


async def test_an_order_the_builder_refuses_never_reaches_hyperliquid(engine: Engine, hl: HlSim) -> None:
    await wait_real(fresh(engine, SYM), 20.0, "a fresh book and ticker")
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.LIMIT, Decimal("0.0001")))
    assert not res.ok and res.message
    assert hl.open_orders() == []


async def test_a_fill_shows_the_position_at_once_and_panic_flattens(engine: Engine, hl: HlSim) -> None:
    await wait_real(fresh(engine, SYM), 20.0, "a fresh book and ticker")
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.5"), OrderType.MARKET))
    assert res.ok, res.message
    assert hl.position("ETH") == Decimal("0.5")
    # Pushed after the fill (clearinghouseState read by the feeds), not left to the periodic sync.
    await wait_real(lambda: SYM in engine.state.positions, 3.0, "the position")
    assert engine.state.positions[SYM].size == Decimal("0.5")
    report = await engine.panic()
    assert report.flat, report.steps
    assert hl.position("ETH") == 0
