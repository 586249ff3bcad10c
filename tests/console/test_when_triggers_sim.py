"""Conditionals from the command line on the real engine over the sim: a position trigger and an
order-filled trigger fire and send their order; a time trigger waits and shows its instant; the
preview says the grouping in words before Enter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Static

from console.screens.algo_form import AlgoFields, AlgoFormError, build_command
from console.screens.algo_ticket import AlgoTicket
from console.screens.cmdline import CommandLine
from core.model import OrderRequest, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, Burst, Keys, OnSim, WaitUntil
from tests.support.engine_types import VenuePosition, VenueRows
from tests.support.sim_console import off_mark, open_long_in_pane


async def test_a_position_trigger_fires_and_reduces_the_long(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_position: VenuePosition,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until, qty="0.010")
        await burst(pilot, *keys(":when pos >= 0.01 and mark >= 1 sell 0.004 ro"))
        line = app.screen
        assert isinstance(line, CommandLine) and line.plan is not None and line.plan.ready, line
        detail = str(line.query_one("#cmd-detail", Static).render())
        assert " AND mark >= 1" in detail, detail
        await burst(pilot, "enter")
        await wait_until(
            pilot,
            lambda: Decimal(str(venue_position(sim_venue, SYM)["size"])) == Decimal("0.006"),
            "the sell",
        )


async def test_an_order_filled_trigger_waits_for_that_fill(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_open_orders: VenueRows,
    venue_position: VenuePosition,
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        price = off_mark(engine, "0.97")
        placed = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.005"), price=price))
        assert placed.ok and placed.order_link_id, placed.message
        link = placed.order_link_id
        await burst(pilot, *keys(f":when filled {link} sell 0.005 ro"), "enter")
        await wait_until(pilot, lambda: any(a.kind == "cond" for a in engine.algos()), "the conditional")
        assert [o["orderLinkId"] for o in venue_open_orders(sim_venue)] == [link]  # nothing fired yet
        fired = await engine.amend(link, price=off_mark(engine, "1.02"))  # the buy now crosses: it fills
        assert fired.ok, fired.message
        await wait_until(
            pilot, lambda: [a.state for a in engine.algos()] == ["done"], "the conditional fired"
        )
        flat = lambda: Decimal(str(venue_position(sim_venue, SYM)["size"])) == 0  # noqa: E731
        await wait_until(pilot, flat, "flat after the conditional's sell")


async def test_a_time_trigger_waits_and_shows_its_instant(
    wait_until: WaitUntil, console_on_sim: OnSim, burst: Burst, keys: Keys
) -> None:
    async with console_on_sim() as (app, engine, pilot):
        await burst(pilot, *keys(":when time >= 2099-01-01T09:00 buy 0.001 expire 2h"))
        line = app.screen
        assert isinstance(line, CommandLine) and line.plan is not None and line.plan.ready, line
        detail = str(line.query_one("#cmd-detail", Static).render())
        assert "time >= 2099-01-01 09:00" in detail, detail
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: [a.state for a in engine.algos()] == ["waiting"], "it waits")


async def test_a_conditional_from_the_algo_ticket_fires_on_its_position_trigger(
    sim_venue: SimVenueThread,
    wait_until: WaitUntil,
    console_on_sim: OnSim,
    burst: Burst,
    keys: Keys,
    venue_position: VenuePosition,
) -> None:
    """The algo ticket had no conditional (its hint sent the trader to ``:when``)."""
    async with console_on_sim() as (app, engine, pilot):
        await open_long_in_pane(pilot, app, engine, wait_until, qty="0.010")
        app.main.set_focus(None)
        await burst(pilot, "A", *(["ctrl+n"] * 6))  # twap -> ... -> trail -> when
        ticket = app.screen
        assert isinstance(ticket, AlgoTicket) and ticket.kind == "when"
        await burst(pilot, "ctrl+t")  # sell
        ticket.w_qty.value = "0.003"
        ticket.w_fields[0].value = "pos long and mark >= 1"
        ticket.w_fields[2].value = "1h"
        await pilot.pause()
        assert ticket.preview is not None and ticket.preview.ok, ticket.error
        shown = str(ticket.w_preview.render())
        assert "AND" in shown and "expires" in shown, shown
        await burst(pilot, "enter")
        await wait_until(
            pilot,
            lambda: Decimal(str(venue_position(sim_venue, SYM)["size"])) == Decimal("0.007"),
            "the conditional's sell",
        )


def test_garbage_after_the_condition_in_the_ticket_is_refused() -> None:
    with pytest.raises(AlgoFormError, match="after the condition"):
        build_command(AlgoFields("when", Side.BUY, "0.1", "mark >= 1 buy 5"))
    with pytest.raises(AlgoFormError, match="if: required"):
        build_command(AlgoFields("when", Side.BUY, "0.1", ""))


async def test_the_order_a_conditional_places_later_is_checked_against_now_in_the_preview(
    console_on_sim: OnSim, burst: Burst, keys: Keys
) -> None:
    """Arming a conditional shows the order it will place, risk-checked against the market of
    now: a follow-up the chain would block now says which check and why (the conditional may still
    be armed: it is checked again when it fires); one that passes says so."""
    async with console_on_sim() as (app, engine, pilot):
        limit = engine.settings.risk.max_order_notional
        ticker = engine.store.ticker(SYM)
        assert ticker is not None
        too_big = (limit / ticker.mark_price * 2).quantize(Decimal("0.001"))
        await burst(pilot, *keys(f":when time >= 2099-01-01T09:00 buy {too_big}"))
        line = app.screen
        assert isinstance(line, CommandLine) and line.plan is not None, line
        detail = str(line.query_one("#cmd-detail", Static).render())
        later = detail[detail.index("when it fires (checked against now, and again then):") :]
        assert "✖ order" in later and "max_order_notional" in later, detail
        assert line.plan.ready, detail  # armed all the same: the chain judges the order when it goes
        await burst(pilot, "escape", *keys(":when time >= 2099-01-01T09:00 buy 0.001"))
        line = app.screen
        assert isinstance(line, CommandLine) and line.plan is not None and line.plan.ready, line
        detail = str(line.query_one("#cmd-detail", Static).render())
        later = detail[detail.index("when it fires (checked against now, and again then):") :]
        assert "✔ order" in later and "✖" not in later, detail
