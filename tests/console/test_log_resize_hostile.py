"""The log pane keeps following its tail across a terminal resize, on the real engine and the
in-process venue. Before: at 80x24, growing the terminal (all lines fit, the view at the top) and
shrinking it back left the view at the top, and from then on new lines (the command line's own,
a rejection) stayed below it for good. Scrolled up by hand, the pane still stays put."""

from __future__ import annotations

from pathlib import Path

from tests.support.strategy_console import advance_until
from tests.support.venue_console import console_on_venue, log_at_tail


async def test_log_follows_the_tail_after_a_resize(tmp_path: Path) -> None:
    async with console_on_venue(tmp_path) as (venue, app, engine, pilot):
        log = app.main.log_pane
        for i in range(12):
            app.log_line(f"line {i}")
        await advance_until(pilot, venue, lambda: log_at_tail(log), "the log at its tail")
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        app.log_line("written after the resize")
        await advance_until(pilot, venue, lambda: log_at_tail(log), "the log at its tail after the resize")

        log.scroll_to(y=0, animate=False, immediate=True)  # the trader scrolls up to read
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        app.log_line("a new line while reading")
        await pilot.pause()
        assert log.scroll_offset.y == 0
