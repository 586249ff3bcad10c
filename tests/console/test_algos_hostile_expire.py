"""A conditional whose expiry is further off than any date, on the real engine and the in-process
venue: refused in place, from the command line and from the algo ticket, and the console stays up.

Before: typing ``when mark >= 96000 buy 0.01 expire 99999999999w`` (or the same in the ticket's
``expire`` field) made the engine's preview describe an expiry in the year 1,916,536,930, which
raised ``ValueError: year ... is out of range`` inside the key handler and closed the console."""

from __future__ import annotations

from pathlib import Path

from console.screens.cmdline import CommandLine
from tests.support.in_process_console import console_in_process
from tests.support.strategy_console import algo_ticket_on, plan_of

FAR = "99999999999w"
WORDS = "after 9999-12-31"


async def test_an_expiry_past_any_date_is_refused_on_the_line_and_the_ticket(tmp_path: Path) -> None:
    async with console_in_process(tmp_path) as (app, engine, _venue, pilot):
        screen = await plan_of(pilot, app, f"when mark >= 200000 buy 0.01 expire {FAR}")
        plan = screen.plan
        assert plan is not None and not plan.ready and WORDS in plan.error, plan
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CommandLine) and engine.algos() == []

        # A far but nameable expiry is still fine: the check is on dates, not on the trader's plans.
        plan = (await plan_of(pilot, app, "when mark >= 200000 buy 0.01 expire 52w")).plan
        assert plan is not None and plan.ready, plan
        await pilot.press("escape")
        await pilot.pause()

        ticket = await algo_ticket_on(pilot, app, "when", "0.01")
        ticket.w_fields[0].value = "mark >= 200000"
        ticket.w_fields[2].value = FAR
        await pilot.pause()
        assert ticket.algo is not None and ticket.preview is not None
        assert not ticket.preview.ok and WORDS in ticket.error, ticket.error
        await pilot.press("enter")
        await pilot.pause()
        assert ticket.is_current and engine.algos() == []
        await pilot.press("escape")
        assert app.is_running
