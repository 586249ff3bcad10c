"""Pilot tests against a running sim venue and the real engine (pybit HTTP + WebSockets on loopback):
orders placed by keys reach the venue and the panes, amend/cancel, a rejected order shows its
reason, and panic leaves the venue flat — also when pressed inside the ticket's input."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from console.screens.amend import AmendScreen
from console.screens.panic import PanicScreen
from console.screens.ticket import OrderTicket
from core.model import OrderRequest, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, OnSim, WaitUntil
from tests.support.engine_types import VenueRows
from tests.support.sim_console import off_mark
from widgets.choice import Choice
from widgets.log_pane import EventLog
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable


async def test_limit_order_by_keys_then_amend_then_cancel(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        price = off_mark(engine, "0.98")
        ticket.query_one("#t-price", Input).value = str(price)
        await pilot.press("0", ".", "0", "1", "enter")
        table = app.main.query_one(OrdersTable)
        await wait_until(pilot, lambda: table.row_count == 1, "the order in the orders pane")
        link = table.selected_key
        assert link is not None
        on_venue = venue_open_orders(sim_venue)
        assert [o["orderLinkId"] for o in on_venue] == [link]
        assert Decimal(on_venue[0]["price"]) == price

        table.focus()
        await pilot.press("a")
        assert isinstance(app.screen, AmendScreen)
        new_price = price - Decimal("10")
        app.screen.query_one("#amend-price", Input).value = str(new_price)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: Decimal(venue_open_orders(sim_venue)[0]["price"]) == new_price,
            "the amended price on the venue",
            tries=40,
        )
        await pilot.press("c")
        await wait_until(pilot, lambda: table.row_count == 0, "the orders pane to empty")
        assert venue_open_orders(sim_venue) == []


async def test_rejected_order_shows_its_reason(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        far = off_mark(engine, "1.5")
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, OrderTicket)
        ticket: OrderTicket = screen
        ticket.query_one("#t-price", Input).value = str(far)
        await pilot.press("0", ".", "0", "1", "enter")
        await pilot.pause()
        assert app.screen is ticket, "the ticket refuses a blocked order"
        assert ticket.preview is not None and ticket.preview.blocking is not None
        assert ticket.preview.blocking.check == "price_band"
        assert "price_band" in str(ticket.query_one("#ticket-error").render())
        await pilot.press("escape")
        # The same order sent anyway (e.g. the market moved after the preview): the engine refuses it
        # and the log names the check and its numbers.
        app._ticket_done(OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=far))
        log = app.main.query_one(EventLog)
        await wait_until(pilot, lambda: any("price_band" in line for line in log.history), "the rejection")
        assert venue_open_orders(sim_venue) == []


async def test_panic_flattens_the_venue_and_empties_the_panes(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
    venue_positions: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        ticket.query_one("#t-kind", Choice).action_step(1)  # market
        await pilot.press("0", ".", "0", "2", "enter")
        positions = app.main.query_one(PositionsTable)
        await wait_until(pilot, lambda: positions.row_count == 1, "the position in the positions pane")
        price = off_mark(engine, "0.97")
        await pilot.press("b")
        app.screen.query_one("#t-price", Input).value = str(price)
        await pilot.press("0", ".", "0", "1", "enter")
        orders = app.main.query_one(OrdersTable)
        await wait_until(pilot, lambda: orders.row_count == 1, "the resting order")
        assert venue_positions(sim_venue) and venue_open_orders(sim_venue)

        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        assert (screen.n_orders, screen.n_positions) == (1, 1)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.state == "done", "the panic report")
        assert screen.report is not None and screen.report.flat
        await pilot.press("escape")
        await wait_until(pilot, lambda: positions.row_count == 0 and orders.row_count == 0, "empty panes")
        assert venue_positions(sim_venue) == [] and venue_open_orders(sim_venue) == []


async def test_panic_pressed_inside_the_ticket_input(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        await pilot.press("b")
        app.screen.query_one("#t-price", Input).value = str(price)
        await pilot.press("0", ".", "0", "1", "enter")
        await wait_until(pilot, lambda: len(venue_open_orders(sim_venue)) == 1, "the resting order", tries=40)
        await pilot.press("s", "1")
        assert isinstance(app.screen, OrderTicket)
        assert app.screen.query_one("#t-qty", Input).has_focus
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.state == "done", "the panic report")
        assert screen.report is not None and screen.report.flat
        assert venue_open_orders(sim_venue) == []
