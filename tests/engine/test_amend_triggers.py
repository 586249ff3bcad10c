"""Amending stop orders (defect 5): the trigger price goes through the one order path (builder snap,
risk chain, journal) to Bybit's ``triggerPrice``, and the sim applies it with Bybit's rules."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from core.engine import Engine
from core.model import FALLING, RISING, OrderRequest, OrderType, Side
from core.resilience.errors import Rejected
from tests.support.engine_types import SYM, Ready, WaitFor
from tests.support.venue_under_test import VenueUnderTest

TICK = Decimal("0.1")


def q(x: Decimal) -> Decimal:
    return x.quantize(TICK)


def venue_order(venue: VenueUnderTest, link: str) -> dict[str, object]:
    return {o["orderLinkId"]: o for o in venue.open_orders()}[link]


async def place_stop(
    engine: Engine, wait_for: WaitFor, side: Side, trigger: Decimal, price: Decimal | None = None
) -> str:
    otype = OrderType.LIMIT if price is not None else OrderType.MARKET
    res = await engine.place(OrderRequest(SYM, side, Decimal("0.01"), otype, price, trigger_price=trigger))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(lambda: link in engine.state.orders and engine.state.orders[link].order_id != "")
    return link


async def test_stop_market_trigger_amend_reaches_the_venue(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    link = await place_stop(engine, wait_for, Side.SELL, q(mark * Decimal("0.95")))
    order = engine.state.orders[link]
    assert order.trigger_direction == FALLING
    new_trigger = q(mark * Decimal("0.94")) + Decimal("0.05")  # off-tick: snapped down (away from market)
    res = await engine.amend(link, trigger_price=new_trigger)
    assert res.ok, res.message
    sent = new_trigger - Decimal("0.05")
    await wait_for(lambda: engine.state.orders[link].trigger_price == sent)
    assert Decimal(str(venue_order(venue, link)["triggerPrice"])) == sent
    amends = [r for r in engine.journal.query(order_link_id=link) if r.kind == "amend"]
    assert amends and amends[-1].data["trigger_price"] == f"{sent:.1f}"
    assert amends[-1].data["price"] == ""  # the hidden protection price is never sent


async def test_stop_limit_amend_trigger_price_and_qty(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    trigger = q(mark * Decimal("1.04"))
    link = await place_stop(engine, wait_for, Side.BUY, trigger, price=trigger + Decimal("10"))
    assert engine.state.orders[link].trigger_direction == RISING
    new_trigger, new_price = trigger + Decimal("20"), trigger + Decimal("35")
    res = await engine.amend(link, trigger_price=new_trigger, price=new_price, qty=Decimal("0.02"))
    assert res.ok, res.message
    await wait_for(lambda: engine.state.orders[link].qty == Decimal("0.02"))
    v = venue_order(venue, link)
    assert (Decimal(str(v["triggerPrice"])), Decimal(str(v["price"])), Decimal(str(v["qty"]))) == (
        new_trigger,
        new_price,
        Decimal("0.02"),
    )


async def test_price_on_a_stop_market_is_refused_locally(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    link = await place_stop(engine, wait_for, Side.SELL, q(mark * Decimal("0.95")))
    before = venue_order(venue, link)
    res = await engine.amend(link, price=q(mark * Decimal("0.9")))
    assert not res.ok and res.check == "amend_fields"
    assert "no limit price" in res.message
    assert venue_order(venue, link) == before


async def test_trigger_moved_across_the_market_is_refused_with_numbers(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    link = await place_stop(engine, wait_for, Side.SELL, q(mark * Decimal("0.95")))
    res = await engine.amend(link, trigger_price=q(mark * Decimal("1.05")))
    assert not res.ok and res.check == "trigger"
    assert "falling" in res.message and str(q(mark * Decimal("1.05"))) in res.message
    assert Decimal(str(venue_order(venue, link)["triggerPrice"])) == q(mark * Decimal("0.95"))


async def test_trigger_on_a_plain_limit_is_refused(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    res = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, q(mark * Decimal("0.97")))
    )
    assert res.ok
    res = await engine.amend(res.order_link_id, trigger_price=q(mark * Decimal("0.96")))
    assert not res.ok and res.check == "amend_fields" and "no trigger price" in res.message


async def test_sim_rejects_a_trigger_on_the_wrong_side_with_bybit_codes(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    """The venue's own rule (110093 for a falling trigger at/above the market), as Bybit reports it."""
    mark = await ready(engine)
    link = await place_stop(engine, wait_for, Side.SELL, q(mark * Decimal("0.95")))
    result = await engine.executor.write(
        "amend", SYM, link, partial(engine.venue.amend, SYM, link, trigger_price=q(mark * Decimal("1.05")))
    )
    assert not result.ok and result.code == 110093
    assert isinstance(result.error, Rejected)
