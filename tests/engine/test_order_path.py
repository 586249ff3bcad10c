"""The one order path end to end, on both venues: engine → venue port → the in-process venue (virtual
clock) or pybit → the sim over loopback HTTP/WS."""

from __future__ import annotations

from decimal import Decimal

from core.engine import Engine
from core.events import RiskRejected, VenueRejected
from core.model import OrderRequest, OrderStatus, OrderType, Side
from tests.support.engine_types import SYM, Below, Ready, WaitFor
from tests.support.venue_under_test import VenueUnderTest
from widgets.log_pane import format_event

MARGIN_SHORTFALL = 110007
"""Bybit's retCode for an order the account's available balance cannot margin."""


async def test_place_amend_cancel_round_trip(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor, below: Below
) -> None:
    mark = await ready(engine)
    price = below(mark)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, price))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(
        lambda: link in engine.state.orders and engine.state.orders[link].status is OrderStatus.NEW
    )
    on_venue = {o["orderLinkId"]: o for o in venue.open_orders()}
    assert Decimal(on_venue[link]["price"]) == price

    new_price = price - Decimal("5")
    res = await engine.amend(link, price=new_price, qty=Decimal("0.02"))
    assert res.ok, res.message
    await wait_for(lambda: engine.state.orders[link].price == new_price)
    on_venue = {o["orderLinkId"]: o for o in venue.open_orders()}
    assert Decimal(on_venue[link]["qty"]) == Decimal("0.02")

    res = await engine.cancel(link)
    assert res.ok, res.message
    await wait_for(lambda: link not in engine.state.orders)
    assert link not in {o["orderLinkId"] for o in venue.open_orders()}
    kinds = [r.kind for r in engine.journal.query(order_link_id=link)]
    # The order push may beat the REST ack; everything before the send is one durable write.
    assert kinds[:3] == ["intent", "risk_decision", "request"]
    assert "ack" in kinds
    assert "amend" in kinds and "cancel" in kinds


async def test_risk_rejection_names_check_and_numbers(
    engine: Engine, venue: VenueUnderTest, ready: Ready, below: Below
) -> None:
    mark = await ready(engine)
    res = await engine.place(
        OrderRequest(SYM, Side.SELL, Decimal("0.01"), OrderType.LIMIT, below(mark, "0.5"))
    )
    assert not res.ok
    assert res.check == "price_band"
    assert "%" in res.message
    assert venue.open_orders() == []
    rejects = [e for e in engine.store.drain_events(10_000) if isinstance(e, RiskRejected)]
    assert rejects and rejects[-1].check == "price_band"
    rec = engine.journal.query(order_link_id=res.order_link_id)
    assert [r.kind for r in rec] == ["intent", "risk_decision"]
    assert rec[1].data["check"] == "price_band"


async def test_venue_rejection_is_reported(engine: Engine, venue: VenueUnderTest, ready: Ready) -> None:
    mark = await ready(engine)
    # At 1x leverage an order of 1.5 times the account's 100k USDT passes our own limits (the order
    # notional cap is 250k) and is refused by the venue for margin, every time.
    assert (await engine.set_leverage(SYM, Decimal(1))).ok
    qty = (Decimal(150_000) / mark).quantize(Decimal("0.001"))
    res = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.MARKET))

    assert not res.ok and res.check == ""
    assert res.ret_code == MARGIN_SHORTFALL
    assert res.message.startswith("venue rejected: ") and "not enough" in res.message
    reason = res.message.removeprefix("venue rejected: ")
    events = [e for e in engine.store.drain_events(10_000) if isinstance(e, VenueRejected)]
    assert [(e.symbol, e.order_link_id, e.ret_code, e.message) for e in events] == [
        (SYM, res.order_link_id, MARGIN_SHORTFALL, reason)
    ]
    shown = format_event(events[0])
    assert shown is not None
    assert f"VENUE REJECTED {SYM} retCode {MARGIN_SHORTFALL}: {reason} [{res.order_link_id}]" in shown
    rows = engine.journal.query(order_link_id=res.order_link_id)
    assert [r.kind for r in rows][:3] == ["intent", "risk_decision", "request"]
    (reject,) = [r for r in rows if r.kind == "reject"]
    assert reject.data["ret_code"] == MARGIN_SHORTFALL and reject.data["message"] == reason
    assert "ack" not in [r.kind for r in rows]
    assert res.order_link_id not in engine.state.orders
    assert venue.open_orders() == [] and venue.positions() == []


async def test_market_order_fills_and_position_appears(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.05"), OrderType.MARKET))
    assert res.ok, res.message
    await wait_for(lambda: SYM in engine.state.positions)
    assert engine.state.positions[SYM].size == Decimal("0.05")
    assert [p["symbol"] for p in venue.positions()] == [SYM]
    await wait_for(lambda: any(f.order_link_id == res.order_link_id for f in engine.state.fills))
    close = await engine.close_position(SYM)
    assert close.ok, close.message
    await wait_for(lambda: SYM not in engine.state.positions)
    assert venue.positions() == []
