"""The command line while the Hyperliquid venue is down since start-up: an order for a ``.HL``
symbol is refused on the command line itself naming the venue that is down (before, it said the
instrument was not loaded yet because the engine was still starting, long after it had started)."""

from __future__ import annotations

from core.config import Settings
from core.sim.runner import SimVenueThread
from tests.support.console_late_leg import B, command, started_console
from tests.support.late_leg import HL


async def test_the_command_line_names_the_venue_that_is_down(
    hl_down: tuple[Settings, SimVenueThread],
) -> None:
    settings, _ = hl_down
    async with started_console(settings, "the engine started with one venue down") as (app, engine, pilot):
        assert engine.startup.admission.held() == (HL,)
        said = await command(pilot, app, f"buy 0.001 {B} @ 90000")
        assert f"venue {HL} is down" in said and "still starting" not in said, said
        said = await command(pilot, app, f"trail 100 {B} ex")
        assert f"venue {HL} is down" in said, said
        assert B not in engine.state.positions and not engine.state.orders
        app.exit(0)
        await pilot.pause()
