"""Panic from the keyboard while the Hyperliquid venue is down since start-up: the Bybit position
is closed, and the panic screen and the log say the account is flat only where it was reachable,
naming the venue it could not reach (before, they read a plain "FLAT" over the position left on
the down venue)."""

from __future__ import annotations

from textual.widgets import Static

from console.screens.panic import PanicScreen
from core.config import Settings
from core.sim.runner import SimVenueThread
from tests.support.console_late_leg import A, command, started_console, until
from tests.support.late_leg import HL


async def test_panic_with_a_venue_down_does_not_read_plain_flat(
    hl_down: tuple[Settings, SimVenueThread],
) -> None:
    settings, _ = hl_down
    async with started_console(settings, "the engine started with one venue down") as (app, engine, pilot):
        await command(pilot, app, f"buy 0.001 {A}")
        await until(pilot, lambda: A in engine.state.positions, "the Bybit buy filled")
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        await pilot.press("y")
        await until(pilot, lambda: screen.state == "done", "the panic done")
        status = str(screen.query_one("#panic-status", Static).render())
        assert not status.startswith("FLAT.") and "FLAT WHERE REACHABLE" in status, status
        assert f"{HL} down" in status and screen.has_class("-not-flat")
        lines = [line for line in app.main.log_pane.history if "PANIC FLAT" in line]
        assert lines and all("WHERE REACHABLE" in line and HL in line for line in lines), lines
        assert A not in engine.state.positions
        app.exit(0)
        await pilot.pause()
