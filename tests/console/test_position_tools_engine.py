"""Position tools and stop-order amends from the keyboard, end to end on the real engine and sim:
after each action the venue holds what the screen said (keys sent in bursts, no pauses)."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from textual.widgets import Input, Static

from console.screens.amend import AmendScreen
from console.screens.modals import ConfirmScreen
from console.screens.position_tools import CloseScreen, LeverageScreen, TpSlScreen
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, Burst, OnSim, WaitUntil
from tests.support.engine_types import PushMarket, VenuePosition, VenueRows
from tests.support.sim_console import off_mark, open_long_in_pane, rest_in_orders_pane

D = Decimal


def digits(value: Decimal) -> list[str]:
    return list(str(value))


async def test_stop_market_trigger_amended_by_a_burst(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        trigger = off_mark(engine, "0.95")
        request = OrderRequest(SYM, Side.SELL, D("0.01"), OrderType.MARKET, trigger_price=trigger)
        what = "the stop order in the orders pane"
        _, table = await rest_in_orders_pane(pilot, app, engine, wait_until, request, what)
        table.focus()
        await pilot.pause()
        await burst(pilot, "a")
        box = app.screen
        assert isinstance(box, AmendScreen)
        assert box.query_one("#amend-trigger", Input).value == f"{trigger:.1f}"
        assert not box.query("#amend-price")
        new = trigger - D("50")
        await burst(pilot, "ctrl+u", *digits(new), "enter")
        await wait_until(
            pilot,
            lambda: D(venue_open_orders(sim_venue)[0]["triggerPrice"]) == new,
            "the new trigger on the venue",
        )
        assert D(venue_open_orders(sim_venue)[0]["qty"]) == D("0.01")


async def test_close_half_tpsl_breakeven_and_leverage_by_keys(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    venue_position: VenuePosition,
    push_market: PushMarket,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until, "0.011")
        await pilot.pause()

        # x: 50% of 0.011 is 0.0055, rounded down to the step: the box says 0.005 and so does the venue.
        await burst(pilot, "x", "2")
        box = app.screen
        assert isinstance(box, CloseScreen)
        assert "▶ 2   50%  0.005" in box.body()
        await burst(pilot, "y")
        await wait_until(
            pilot, lambda: D(venue_position(sim_venue)["size"]) == D("0.006"), "a 0.006 position"
        )

        # p: a stop loss typed in the TP/SL box is the venue's stop loss.
        sl = off_mark(engine, "0.95")
        await burst(pilot, "p", "tab", *digits(sl), "enter")
        assert not isinstance(app.screen, TpSlScreen), getattr(app.screen, "error", "")
        await wait_until(
            pilot, lambda: venue_position(sim_venue)["stopLoss"] != "", "the stop loss on the venue"
        )
        assert D(venue_position(sim_venue)["stopLoss"]) == sl
        assert venue_position(sim_venue)["takeProfit"] == ""

        # e: once in profit, the stop moves to the entry (rounded up to the tick for a long).
        entry = engine.state.positions[SYM].entry_price
        be = entry.quantize(D("0.1"), rounding=ROUND_CEILING)
        push_market(sim_venue, 1.03)
        await wait_until(
            pilot,
            lambda: engine.store.ticker(SYM).mark_price > be + 5,  # type: ignore[union-attr]
            "the market above the entry",
        )
        await burst(pilot, "e")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"to its entry {be}" in app.screen.body
        await burst(pilot, "y")
        await wait_until(pilot, lambda: D(venue_position(sim_venue)["stopLoss"]) == be, "the breakeven stop")

        # l: leverage typed over the selected current value.
        await burst(pilot, "l")
        lev_box = app.screen
        assert isinstance(lev_box, LeverageScreen)
        assert "current 10x" in lev_box.info()
        info = lev_box.query_one("#lev-info", Static)  # what is drawn, not the model
        await wait_until(pilot, lambda: "margin mode cross" in str(info.render()), "the margin mode, drawn")
        await burst(pilot, "5", "enter")
        await wait_until(
            pilot, lambda: D(venue_position(sim_venue)["leverage"]) == D(5), "leverage 5 on the venue"
        )
