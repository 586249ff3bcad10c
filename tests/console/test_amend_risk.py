"""The amend box previews the amended order: its notional for the new quantity and price and, for
an order carrying a stop loss, the loss at that stop for the new quantity (fees included) — the
order ticket's preview from the real engine, following every keystroke, before anything is sent."""

from __future__ import annotations

from decimal import Decimal as D

from textual.widgets import Static

from console.screens.amend import AmendScreen
from core.model import OrderRequest, Side
from tests.support.console_types import SYM, Burst, OnSim, SelectOrder, WaitUntil
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
