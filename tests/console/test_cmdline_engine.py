"""The command line against a running sim venue and the real engine (pybit over loopback): the order
on the venue is exactly the one the command line showed, and refused lines send nothing."""

from __future__ import annotations

from decimal import Decimal

from console.screens.cmdline import CommandLine
from core.model import Side
from core.risk.sizing import DEFAULT_TAKER_FEE, loss_at_stop
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, Keys, OnSim, WaitUntil
from tests.support.engine_types import VenueRows
from tests.support.sim_console import off_mark


async def test_typed_orders_reach_the_venue_exactly_as_shown(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    keys: Keys,
    venue_open_orders: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.98")
        await pilot.press(*keys(f":buy 0.01 @ {price}"), "enter")
        await wait_until(
            pilot, lambda: len(venue_open_orders(sim_venue)) == 1, "the limit order on the venue"
        )
        (o,) = venue_open_orders(sim_venue)
        assert (o["side"], Decimal(o["qty"]), Decimal(o["price"])) == ("Buy", Decimal("0.01"), price)

        # An offset from the touch and a size from the risk at a stop: what the line showed is sent.
        # (typed lines are slow under Pilot with a live engine: ~1-2 s a key on a busy machine, so
        # this one is set at once; test_cmdline.py types whole lines in bursts)
        await pilot.press(":")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        screen.input.value = "buy risk $20 stop -1% @ -1%"
        await pilot.pause()
        assert screen.plan is not None and screen.plan.ready, screen.plan
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: len(venue_open_orders(sim_venue)) == 2, "the risk-sized order on the venue"
        )
        # the plan on screen when Enter was pressed (it follows the market until then)
        sent = app.command_line.last_plan
        assert sent is not None and sent.request is not None and sent.line == "buy risk $20 stop -1% @ -1%"
        shown = sent.request
        (o,) = [x for x in venue_open_orders(sim_venue) if Decimal(x["price"]) != price]
        assert shown.price is not None and shown.stop_loss is not None
        assert (Decimal(o["qty"]), Decimal(o["price"]), Decimal(o["stopLoss"])) == (
            shown.qty,
            shown.price,
            shown.stop_loss,
        )
        assert loss_at_stop(Side.BUY, shown.qty, shown.price, shown.stop_loss, DEFAULT_TAKER_FEE) <= 20


async def test_partial_close_and_refused_lines(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    keys: Keys,
    venue_open_orders: VenueRows,
    venue_positions: VenueRows,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await pilot.press(*keys(":buy 0.02"), "enter")
        await wait_until(pilot, lambda: len(venue_positions(sim_venue)) == 1, "the position on the venue")
        await wait_until(pilot, lambda: SYM in app.engine.account().positions, "the engine's position")

        for line in ("buy 0,01", "0.01", "close 50"):
            await pilot.press(":", *keys(line), "enter")
            await pilot.pause()
            assert isinstance(app.screen, CommandLine), line
            assert "not sent" in str(app.screen.query_one("#cmd-summary").render()), line
            await pilot.press("escape")
        assert venue_open_orders(sim_venue) == []
        assert Decimal(venue_positions(sim_venue)[0]["size"]) == Decimal("0.02")

        await pilot.press(*keys(":close 50%"), "enter")
        await wait_until(
            pilot,
            lambda: Decimal(venue_positions(sim_venue)[0]["size"]) == Decimal("0.01"),
            "half the position closed",
        )
