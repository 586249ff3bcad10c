"""A bracket's exit far from its entry is refused as a typo, on the line and in the algo ticket.

Before: ``bracket sell 0.01 tp 1,5`` (a decimal comma, meant as 1.5) previewed READY. A comma
separates take-profits, so it meant two take-profits at prices 1 and 5 on a short entered near
95,000: after the entry filled they would rest as reduce-only buys that never fill, leaving the
position without the take-profit the trader thought was there. On the real engine and the
in-process venue."""

from __future__ import annotations

from pathlib import Path

from console.screens.cmdline import CommandLine
from tests.support.in_process_console import console_in_process
from tests.support.strategy_console import algo_ticket_on, plan_of

WORDS = "refused as a typo"


async def test_a_far_exit_is_refused_on_the_line_and_the_ticket(tmp_path: Path) -> None:
    async with console_in_process(tmp_path) as (app, engine, _venue, pilot):
        far = ("bracket sell 0.01 tp 1,5", "bracket buy 0.01 sl 5", "bracket buy 0.01 @ -1% tp 1000000")
        for line in far:
            plan = (await plan_of(pilot, app, line)).plan
            assert plan is not None and not plan.ready and WORDS in plan.error, (line, plan)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CommandLine) and engine.algos() == []

        # Exits near the entry, as prices or percents, are still ready.
        for line in ("bracket sell 0.01 tp 1%,2% sl 1%", "bracket buy 0.01 tp 30% sl 40%"):
            plan = (await plan_of(pilot, app, line)).plan
            assert plan is not None and plan.ready, (line, plan)
        await pilot.press("escape")
        await pilot.pause()

        ticket = await algo_ticket_on(pilot, app, "bracket", "0.01")
        ticket.w_fields[1].value = "96000,1960000"  # a buy's second take-profit a digit too long
        await pilot.pause()
        assert WORDS in ticket.error, ticket.error
        await pilot.press("enter")
        await pilot.pause()
        assert ticket.is_current and engine.algos() == []
        ticket.w_fields[1].value = "1%,2%"
        await pilot.pause()
        assert ticket.error == "" and ticket.preview is not None and ticket.preview.ok, ticket.error
        await pilot.press("escape")
