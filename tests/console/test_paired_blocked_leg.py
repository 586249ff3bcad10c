"""The paired ticket from the keyboard when its preview already refuses one leg (here the second
venue is down: its leg is refused naming it): Enter sends nothing and says which leg is refused.
Before, Enter sent the other leg alone, which filled and left the pair in leg risk at once."""

from __future__ import annotations

from decimal import Decimal

from console.app import TradeConsoleApp
from console.screens.paired import PairedTicket
from core.venues.multi.venue import MultiVenue
from tests.support.console_types import SIZE
from tests.support.crossvenue_rig import A, B, TwoVenues, advance_until, open_pane


async def test_enter_sends_nothing_while_the_preview_refuses_a_leg(two: TwoVenues) -> None:
    app = TradeConsoleApp(two.engine, two.settings, clock=two.clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        venue = two.engine.venue
        assert isinstance(venue, MultiVenue)
        venue.hold_part("hyperliquid")  # the second venue is down: its symbols are refused
        await pilot.press("P")
        screen = app.screen
        assert isinstance(screen, PairedTicket)
        await pilot.press(*"0.01")
        preview = str(screen.w_preview.render())
        assert "risk checks OK" in preview and "venue_down" in preview
        await pilot.press("enter")
        for _ in range(5):  # give a send every chance to happen
            two.step()
            await pilot.pause(0.01)
        error = str(screen.w_error.render())
        assert app.screen is screen  # still open, saying why
        assert f"the SELL {B} leg is refused" in error and "nothing was sent" in error
        assert app.crossvenue.desk.latest(A) is None
        assert two.size(two.a) == Decimal(0) and two.size(two.b) == Decimal(0)

        await pilot.press("escape")
        venue.admit_part("hyperliquid")
        await advance_until(pilot, two, lambda: app.screen is not screen, "the ticket closed")
