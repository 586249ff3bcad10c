"""The console on a real engine and a fresh in-process venue on its virtual clock, started and run
at a given terminal size, and the log pane's "at its tail" test the log-following tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.engine import Engine
from tests.support.strategy_console import advance_until
from tests.support.venue_under_test import InProcessVenue
from widgets.log_pane import EventLog

COMPACT = (80, 24)
"""The smallest terminal the console supports (a six-row log)."""


@asynccontextmanager
async def console_on_venue(
    tmp_path: Path, size: tuple[int, int] = COMPACT
) -> AsyncIterator[tuple[InProcessVenue, TradeConsoleApp, Engine, Pilot[int]]]:
    """Run the console on a real engine over a new in-process venue (journal under ``tmp_path``,
    the venue's clock as the console's) at ``size``, once its engine started:
    ``async with console_on_venue(tmp_path) as (venue, app, engine, pilot)``."""
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)
    async with app.run_test(size=size) as pilot:
        await advance_until(pilot, venue, lambda: app.engine_started, "engine up")
        yield venue, app, engine, pilot


def log_at_tail(log: EventLog) -> bool:
    """The log pane scrolls (more lines than rows) and shows its newest line."""
    return log.max_scroll_y > 0 and log.scroll_offset.y == log.max_scroll_y
