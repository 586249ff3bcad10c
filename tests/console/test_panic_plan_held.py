"""The panic confirmation says, before the trader presses ``y``, which symbols it cannot reach
because their venue is down (before, only the result said so, after the panic had run)."""

from __future__ import annotations

from textual.widgets import Static

from console.screens.panic import PanicScreen
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE


def _plan(screen: PanicScreen) -> str:
    return str(screen.query_one("#panic-plan", Static).render())


async def test_the_panic_plan_names_what_a_down_venue_keeps() -> None:
    app = make_app()
    fake(app).held = ("BTCUSDT.HL", "ETHUSDT.HL")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        plan = _plan(screen)
        assert "NOT REACHABLE, venue down: BTCUSDT.HL, ETHUSDT.HL" in plan, plan
        await pilot.press("n")
        fake(app).held = ()
        await pilot.press("ctrl+k")
        screen = app.screen
        assert isinstance(screen, PanicScreen)
        assert "NOT REACHABLE" not in _plan(screen)
