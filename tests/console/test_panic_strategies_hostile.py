"""Panic and quit with a strategy running, on the real engine and the in-process venue: the panic
modal counts the running strategies it will stop (before: it listed orders, algos and positions
only) and the panic stops them before it flattens; quitting asks first and says the strategy stops
and is not restarted."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from console.screens.modals import ConfirmScreen
from console.screens.panic import PanicScreen
from tests.support.strategy_console import advance_until, plan_of, row
from tests.support.venue_console import console_on_venue


async def test_panic_modal_counts_the_running_strategies_and_stops_them(tmp_path: Path) -> None:
    async with console_on_venue(tmp_path) as (venue, app, engine, pilot):
        await plan_of(pilot, app, "strat start sma_cross fast=2 slow=3 qty=0.01 alloc=2000")
        await pilot.press("enter")
        await advance_until(pilot, venue, lambda: row(app, "sma_cross") is not None, "started")
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        plan = str(screen.query_one("#panic-plan", Static).render())
        assert "1 running strategy(ies)" in plan, plan
        await pilot.press("y")
        await advance_until(
            pilot, venue, lambda: (r := row(app, "sma_cross")) is not None and r.state == "stopped", "stopped"
        )


async def test_quit_with_only_a_strategy_running_asks_and_says_it_stops(tmp_path: Path) -> None:
    """Before: with a strategy running but no order or position, q quit at once without a word,
    and the strategy (which nothing restarts) was stopped silently."""
    async with console_on_venue(tmp_path) as (venue, app, engine, pilot):
        await plan_of(pilot, app, "strat start sma_cross fast=9 slow=41 qty=0.01")
        await pilot.press("enter")
        await advance_until(pilot, venue, lambda: row(app, "sma_cross") is not None, "started")
        assert not engine.account().orders and not engine.account().positions
        await pilot.press("q")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and screen.purpose == "quit"
        body = str(screen.body)
        assert "1 running strategy: STOPPED when you quit and not restarted" in body, body
        await pilot.press("n")
        await pilot.pause()
        assert row(app, "sma_cross") is not None and app.is_running
