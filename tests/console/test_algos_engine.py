"""Algos from the console on the real engine and a sim venue (pybit over loopback): a scale
started from the command line rests its ladder on the venue, the pane shows it, and the pane's
keys pause (a scale's ladder stays), resume and cancel it (after the confirmation); a TWAP started
from the algo ticket fills its first slice and the pane shows the progress."""

from __future__ import annotations

from decimal import Decimal

from console.screens.algo_ticket import AlgoTicket
from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from core.engine import Engine
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, OnSim, WaitUntil
from tests.support.engine_types import VenueRows


def _state(engine: Engine) -> str:
    algos = engine.algos()
    return algos[0].state if algos else ""


async def test_scale_from_the_command_line_paused_resumed_cancelled_by_key(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        mark = engine.store.ticker(SYM).mark_price  # type: ignore[union-attr]
        low, high = (
            (mark * Decimal("0.96")).quantize(Decimal(1)),
            (mark * Decimal("0.97")).quantize(Decimal(1)),
        )
        await pilot.press(":")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        screen.input.value = f"scale buy 0.02 {low}..{high} x2"  # typed lines are slow on a live engine
        await pilot.pause()
        assert screen.plan is not None and screen.plan.ready, screen.plan
        preview = screen.plan.algo_preview
        assert preview is not None and len(preview.children) == 2
        shown = sorted((c.request.price, c.request.qty) for c in preview.children)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(venue_open_orders(sim_venue)) == 2, "the ladder on the venue")
        on_venue = sorted((Decimal(o["price"]), Decimal(o["qty"])) for o in venue_open_orders(sim_venue))
        assert on_venue == shown
        pane = app.main.algos
        await wait_until(pilot, lambda: pane.display and pane.row_count == 1, "the algo in the pane")
        pane.focus()
        await pilot.pause()
        await pilot.press("p")
        await wait_until(pilot, lambda: _state(engine) == "paused", "paused")
        assert len(venue_open_orders(sim_venue)) == 2  # a paused scale leaves its ladder resting
        await wait_until(pilot, lambda: "paused" in str(pane.get_row_at(0)), "the pane says paused")
        await pilot.press("r")
        await wait_until(pilot, lambda: _state(engine) == "running", "resumed")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: _state(engine) == "cancelled", "cancelled")
        await wait_until(pilot, lambda: not venue_open_orders(sim_venue), "nothing left on the venue")


async def test_twap_from_the_ticket_fills_its_first_slice_in_the_pane(
    wait_until: WaitUntil,
    console_on_sim: OnSim,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await pilot.press("A")
        await wait_until(pilot, lambda: isinstance(app.screen, AlgoTicket), "the algo ticket opened")
        ticket = app.screen
        assert isinstance(ticket, AlgoTicket) and ticket.kind == "twap"
        ticket.w_qty.value = "0.002"
        ticket.w_fields[0].value = "10m"
        ticket.w_fields[1].value = "2"
        await pilot.pause()
        assert ticket.preview is not None and ticket.preview.ok, ticket.error
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(engine.algos()), "the TWAP started")
        (algo,) = engine.algos()
        assert (algo.kind, algo.total) == ("twap", Decimal("0.002"))
        await wait_until(
            pilot, lambda: engine.algos()[0].filled == Decimal("0.001"), "the first slice filled"
        )
        await wait_until(pilot, lambda: "50%" in str(app.main.algos.get_row_at(0)), "the pane's progress")
        app.main.algos.focus()
        await pilot.press("x", "y")
        await wait_until(pilot, lambda: _state(engine) == "cancelled", "cancelled")
        assert not isinstance(app.screen, ConfirmScreen)
