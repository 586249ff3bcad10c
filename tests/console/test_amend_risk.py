"""The amend box previews the amended order: its notional for the new quantity and price and, for
an order carrying a stop loss, the loss at that stop for the new quantity (fees included) — the
order ticket's preview from the real engine, following every keystroke, before anything is sent."""

from __future__ import annotations

from decimal import Decimal as D

from textual.widgets import Static

from console.screens.amend import AmendScreen
from core.model import OrderRequest, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, Burst, OnSim, SelectOrder, WaitUntil
from tests.support.engine_types import VenueHttp, VenueRows
from tests.support.sim_console import off_mark, rest_in_orders_pane

CENT = D("0.01")


async def test_amending_the_qty_shows_the_new_notional_and_loss_at_the_stop(
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price, stop = off_mark(engine, "0.97"), off_mark(engine, "0.95")
        request = OrderRequest(SYM, Side.BUY, D("0.01"), price=price, stop_loss=stop)
        placed, _ = await rest_in_orders_pane(pilot, app, engine, wait_until, request)
        assert placed.order_link_id is not None, placed.message
        await select_order(pilot, app, placed.order_link_id)
        await burst(pilot, "a", "tab", "0", ".", "0", "3")
        box = app.screen
        assert isinstance(box, AmendScreen)
        taker = engine.fee_rates(SYM)[0]
        qty = D("0.03")
        # Worked out by hand: the move to the stop, the taker fee in at the price and out at the stop.
        loss = qty * (price - stop) + qty * price * taker + qty * stop * taker
        shown = str(box.query_one("#amend-risk", Static).render())
        assert f"notional   {qty * price:,.2f} USDT for 0.030" in shown, shown
        assert f"loss@stop  {loss.quantize(CENT):,.2f} USDT on 0.030 (fees incl.)" in shown, shown
        await burst(pilot, "ctrl+u", "0", ".", "0", "2")
        shown = str(box.query_one("#amend-risk", Static).render())
        assert f"notional   {D('0.02') * price:,.2f} USDT for 0.020" in shown, shown
        await burst(pilot, "escape")
        assert not isinstance(app.screen, AmendScreen)


async def test_the_amend_box_shows_the_risk_verdict_and_enter_refuses_a_blocked_amend(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    select_order: SelectOrder,
    venue_open_orders: VenueRows,
) -> None:
    """The amend box said nothing of the risk chain: a qty over ``max_order_notional`` looked
    fine until the engine refused it after Enter. It now shows the chain's verdict as the ticket
    does, and Enter on a blocked amend says which check and sends nothing."""
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        placed, _ = await rest_in_orders_pane(
            pilot, app, engine, wait_until, OrderRequest(SYM, Side.BUY, D("0.01"), price=price)
        )
        assert placed.order_link_id is not None, placed.message
        await select_order(pilot, app, placed.order_link_id)
        await burst(pilot, "a", "tab", "0", ".", "0", "2")
        box = app.screen
        assert isinstance(box, AmendScreen)
        shown = str(box.query_one("#amend-risk", Static).render())
        assert "checks pass" in shown and "✖" not in shown, shown
        await burst(pilot, "ctrl+u", *"100")  # ~9.4M USDT, over max_order_notional
        shown = str(box.query_one("#amend-risk", Static).render())
        assert "✖ max_order_notional:" in shown, shown
        await burst(pilot, "enter")
        assert app.screen is box
        hint = str(box.query_one("#amend-error", Static).render())
        assert hint.startswith("✖ not sent — max_order_notional:"), hint
        assert [D(o["qty"]) for o in venue_open_orders(sim_venue)] == [D("0.01")]
        await burst(pilot, "escape")


async def test_the_amend_preview_leaves_the_amended_order_out_of_the_open_order_count(
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    """At ``max_open_orders`` an amend adds no order: its preview passes the check (a new order's
    preview would count the order twice and show it blocked)."""
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        placed, _ = await rest_in_orders_pane(
            pilot, app, engine, wait_until, OrderRequest(SYM, Side.BUY, D("0.01"), price=price)
        )
        assert placed.order_link_id is not None, placed.message
        (check,) = [c for c in engine.pretrade.risk_chain.checks if c.name == "max_open_orders"]
        check.limit = 1  # type: ignore[attr-defined]
        await select_order(pilot, app, placed.order_link_id)
        await burst(pilot, "a", "tab", "0", ".", "0", "2")
        box = app.screen
        assert isinstance(box, AmendScreen)
        shown = str(box.query_one("#amend-risk", Static).render())
        assert "✖" not in shown and "checks pass" in shown, shown
        assert not engine.preview(box.amended(box.request())).allowed  # as a new order: blocked
        await burst(pilot, "enter")
        await wait_until(
            pilot, lambda: engine.state.orders[placed.order_link_id].qty == D("0.02"), "the amend"
        )


async def test_an_order_changed_from_elsewhere_while_the_box_is_open_is_not_amended(
    console_on_sim: OnSim,
    sim_venue: SimVenueThread,
    venue_http: VenueHttp,
    venue_open_orders: VenueRows,
    select_order: SelectOrder,
    burst: Burst,
    wait_until: WaitUntil,
) -> None:
    """The box showed 0.010 @ P; another device made it 0.050 before Enter. An amend sends only
    the fields it changes, so the venue would have moved a 0.050 order the trader never saw (and
    the risk chain never checked at that size). Enter now refuses it unsent and says why."""
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        placed, _ = await rest_in_orders_pane(
            pilot, app, engine, wait_until, OrderRequest(SYM, Side.BUY, D("0.01"), price=price)
        )
        link = placed.order_link_id
        assert link is not None, placed.message
        await select_order(pilot, app, link)
        await burst(pilot, "a")
        box = app.screen
        assert isinstance(box, AmendScreen)
        venue_http(sim_venue).amend_order(category="linear", symbol=SYM, orderLinkId=link, qty="0.05")
        heard = lambda: engine.account().orders[link].qty == D("0.05")  # noqa: E731
        await wait_until(pilot, heard, "the outside amend heard")
        new_price = price - D("10")
        app.last_result = None
        await burst(pilot, "ctrl+u", *str(new_price), "enter")
        await wait_until(pilot, lambda: app.last_result is not None, "the amend's outcome")
        result = app.last_result
        assert result is not None and not result.ok
        assert "order changed since shown: qty 0.0" in result.message, result.message
        assert "-> 0.05" in result.message and result.message.endswith("nothing sent"), result.message
        [row] = venue_open_orders(sim_venue)
        assert (D(row["qty"]), D(row["price"])) == (D("0.05"), price), "the order was amended anyway"
