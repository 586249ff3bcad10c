"""Bad values on the command API: NaN, Infinity, zero and negative numbers are refused by a named
check, journaled, and never sent; so are reduce-only orders that could only add exposure.

Old code: a NaN quantity/price/trigger/TP answered ``place failed: InvalidOperation`` with no
check named and nothing journaled (amend, set_leverage and the position tools alike), and a
reduce-only order on a flat symbol went to the venue.
"""

from __future__ import annotations

from decimal import Decimal

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from tests.support.engine_types import SYM, Below, Ready, WaitFor
from tests.support.venue_under_test import VenueUnderTest

NAN, INF = Decimal("NaN"), Decimal("Infinity")


def refusal(engine: Engine, link_id: str) -> dict[str, object]:
    """The journaled risk decision of ``link_id`` (it must say not approved)."""
    [decision] = engine.journal.query(kinds=["risk_decision"], order_link_id=link_id)
    assert decision.data["approved"] is False
    return decision.data


async def test_place_refuses_non_finite_and_non_positive_numbers(
    engine: Engine, venue: VenueUnderTest, below: Below, ready: Ready
) -> None:
    mark = await ready(engine)
    price = below(mark)
    qty = Decimal("0.01")
    cases = [
        (OrderRequest(SYM, Side.BUY, NAN, OrderType.LIMIT, price), "qty", "not a number"),
        (OrderRequest(SYM, Side.BUY, INF, OrderType.MARKET), "qty", "not a finite number"),
        (OrderRequest(SYM, Side.BUY, -qty, OrderType.LIMIT, price), "qty", "greater than 0"),
        (OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, NAN), "price", "not a number"),
        (OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, -INF), "price", "not a finite"),
        (OrderRequest(SYM, Side.BUY, qty, trigger_price=NAN), "trigger", "not a number"),
        (OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, price, take_profit=INF), "take_profit", ""),
        (OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, price, take_profit=NAN), "take_profit", ""),
        (OrderRequest(SYM, Side.SELL, qty, OrderType.LIMIT, price, stop_loss=Decimal(-5)), "stop_loss", ""),
        (OrderRequest(SYM, Side.BUY, Decimal("sNaN"), OrderType.LIMIT, price), "qty", "not a number"),
    ]
    for request, check, words in cases:
        res = await engine.place(request)
        assert not res.ok and res.check == check and words in res.message, (request, res)
        assert res.message.startswith(f"rejected by {check}:")
        assert refusal(engine, res.order_link_id)["check"] == check
        assert [r.kind for r in engine.journal.query(order_link_id=res.order_link_id)] == [
            "intent",
            "risk_decision",
        ]
    assert venue.order_counts() == {}


async def test_amend_refuses_non_finite_numbers(
    engine: Engine, venue: VenueUnderTest, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    mark = await ready(engine)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(lambda: link in engine.state.orders and engine.state.orders[link].order_id != "")
    cases: tuple[tuple[dict[str, Decimal], str], ...] = (
        ({"qty": NAN}, "qty"),
        ({"price": INF}, "price"),
        ({"qty": Decimal("-1")}, "qty"),
        ({"price": Decimal(0)}, "price"),
        ({"trigger_price": NAN}, "trigger"),
    )
    for kwargs, check in cases:
        out = await engine.amend(
            link, qty=kwargs.get("qty"), price=kwargs.get("price"), trigger_price=kwargs.get("trigger_price")
        )
        assert not out.ok and out.check == check, (kwargs, out)
    decisions = engine.journal.query(kinds=["risk_decision"], order_link_id=link)
    assert [d.data["check"] for d in decisions if d.data["approved"] is False] == [
        "qty",
        "price",
        "qty",
        "price",
        "trigger",
    ]
    [on_venue] = venue.open_orders()
    assert Decimal(on_venue["qty"]) == Decimal("0.01") and Decimal(on_venue["price"]) == below(mark)
    await engine.cancel(link)


async def test_leverage_and_position_tools_refuse_non_finite_numbers(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    for value in (NAN, INF, Decimal(0), Decimal(-3)):
        res = await engine.set_leverage(SYM, value)
        assert not res.ok and res.check == "leverage" and "finite number greater than 0" in res.message, res
    assert [r.data["check"] for r in engine.journal.query(kinds=["risk_decision"])] == ["leverage"] * 4
    assert engine.journal.query(kinds=["set_leverage"]) == []  # nothing was sent
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    out = await engine.close_position(SYM, NAN)
    assert not out.ok and out.check == "close_fraction", out
    out = await engine.set_trading_stop(SYM, take_profit=NAN)
    assert not out.ok and out.check == "take_profit", out
    row = venue.position()
    assert Decimal(row["size"]) == Decimal("0.01") and row["takeProfit"] in ("", "0")
    assert (await engine.close_position(SYM)).ok


async def test_reduce_only_that_could_only_add_is_refused_before_the_venue(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    qty = Decimal("0.01")
    flat = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.MARKET, reduce_only=True))
    assert not flat.ok and flat.check == "reduce_only" and f"{SYM} is flat" in flat.message, flat
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))).ok
    await wait_for(lambda: SYM in engine.state.positions)
    adds = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.MARKET, reduce_only=True))
    assert not adds.ok and adds.check == "reduce_only" and "would add to the Buy" in adds.message, adds
    assert refusal(engine, adds.order_link_id)["check"] == "reduce_only"
    sent = venue.order_counts()
    assert flat.order_link_id not in sent and adds.order_link_id not in sent
    closes = await engine.place(OrderRequest(SYM, Side.SELL, qty, OrderType.MARKET, reduce_only=True))
    assert closes.ok, closes.message
