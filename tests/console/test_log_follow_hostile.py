"""The log pane keeps showing the newest line after another screen covered it, on the real engine
and the in-process venue at 80x24 (a six-row log). Before: lines written while the help, a
ticket or the command line was open did not scroll the log, and from then on it never followed
again: the command line's own line and the strategy's start (or a rejection) stayed out of view.
Scrolling up by hand still stops the following."""

from __future__ import annotations

from pathlib import Path

from tests.support.strategy_console import advance_until, plan_of
from tests.support.venue_console import console_on_venue, log_at_tail


async def test_log_follows_the_tail_after_a_screen_covered_it(tmp_path: Path) -> None:
    async with console_on_venue(tmp_path) as (venue, app, engine, pilot):
        log = app.main.log_pane
        await pilot.press("question_mark")
        await pilot.pause()
        app.log_line("written under the help screen")
        await pilot.press("escape")
        await advance_until(pilot, venue, lambda: log_at_tail(log), "the log at its tail after the help")

        await plan_of(pilot, app, "strat start sma_cross fast=9 slow=41 qty=0.01 alloc=2000")
        await pilot.press("enter")
        await advance_until(pilot, venue, lambda: "strategy sma_cross started" in log.lines[-1], "started")
        await advance_until(pilot, venue, lambda: log_at_tail(log), "the log at its tail after the command")

        log.scroll_to(y=0, animate=False, immediate=True)  # the trader scrolls up to read
        app.log_line("a new line while reading")
        await pilot.pause()
        assert log.scroll_offset.y == 0
