"""The console on the real engine and the in-process venue, once the engine is up and the book and
ticker of the test symbol are in:
``async with console_in_process(tmp_path) as (app, engine, venue, pilot)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.engine import Engine
from tests.support.console_types import SIZE, SYM
from tests.support.strategy_console import advance_until, plan_of
from tests.support.venue_under_test import InProcessVenue
from widgets.algos import AlgosPane


@asynccontextmanager
async def console_in_process(
    tmp_path: Path, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[TradeConsoleApp, Engine, InProcessVenue, Pilot[int]]]:
    """Run the console at ``size`` on a fresh in-process venue (journal under ``tmp_path``)."""
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    engine = venue.engine(settings)
    app = TradeConsoleApp(engine, settings, clock=venue.clock)
    async with app.run_test(size=size) as pilot:
        store = engine.store
        up = lambda: app.engine_started and store.book(SYM) is not None and store.ticker(SYM) is not None  # noqa: E731
        await advance_until(pilot, venue, up, "engine up")
        yield app, engine, venue, pilot


async def start_in_pane(
    pilot: Pilot[int], app: TradeConsoleApp, venue: InProcessVenue, lines: tuple[str, ...]
) -> AlgosPane:
    """Start an algo per command line (Enter on each plan), show the algos pane and wait until
    every one has its row."""
    for line in lines:
        await plan_of(pilot, app, line)
        await pilot.press("enter")
    pane = app.main.algos
    if not pane.display:
        await pilot.press("5")
    await advance_until(pilot, venue, lambda: pane.row_count == len(lines), "every algo in the pane")
    return pane
