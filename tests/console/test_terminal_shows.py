"""What the terminal shows — every update the app sent it, applied cell by cell — is what a full
render of the screen on top gives: on the main screen as the market moves, with the ticket open
over a moving market (its dimmed backdrop drawn from the kept frame, only where things changed),
and after it closes."""

from __future__ import annotations

import pytest
from textual._compositor import Compositor, LayoutUpdate
from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.screens.ticket import OrderTicket
from tests.support.console_fakes import make_app
from tests.support.frame_checks import move_market, settle
from tests.support.vterm import VirtualTerminal

SIZE = (160, 50)


async def _assert_shown_is_rendered(
    pilot: Pilot[int], app: TradeConsoleApp, term: VirtualTerminal, where: str
) -> None:
    """Once the screen's pending updates are sent (a loaded machine may take a few frames), the
    terminal shows what a full render gives; an update lost for good never matches."""
    for _ in range(50):
        diff = term.differences(app.screen._compositor.render_strips())
        if not diff:
            return
        await pilot.pause(0.02)
    assert not diff, f"{where}: the terminal differs from a full render:\n" + "\n".join(diff[:5])


async def test_the_terminal_shows_what_a_full_render_gives_through_opens_and_market_moves() -> None:
    app = make_app()
    term = VirtualTerminal(*SIZE)
    term.attach(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await _assert_shown_is_rendered(pilot, app, term, "at start")
        for step in range(1, 4):
            move_market(app, step)
            await settle(pilot, app)
        await _assert_shown_is_rendered(pilot, app, term, "main screen after market moves")
        for round_ in range(3):
            move_market(app, 10 + round_)  # the market moved since the last open
            await settle(pilot, app)
            await pilot.press("b")
            assert isinstance(app.screen, OrderTicket)
            await pilot.pause()
            await pilot.pause()
            await _assert_shown_is_rendered(pilot, app, term, f"ticket opened (round {round_})")
            for step in range(3):  # the market moves behind the open ticket
                move_market(app, 20 + step)
                app.log_line(f"behind the ticket {round_}.{step}")
                app.refresh_ui(force=True)
                await pilot.pause()
                await pilot.pause()
            await _assert_shown_is_rendered(pilot, app, term, f"ticket over a moving market (round {round_})")
            await pilot.press("escape")
            await settle(pilot, app)
            await _assert_shown_is_rendered(pilot, app, term, f"ticket closed (round {round_})")
        assert term.updates > 10


async def test_an_open_over_a_moved_market_draws_the_ticket_whole_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The covered main screen's repaint on each push asked the ticket to draw the whole screen a
    second time (its backdrop and every widget), in about half of the opens over a moving market."""
    fulls: list[str] = []
    whole = Compositor.render_full_update

    def counted(self: Compositor, simplify: bool = False) -> LayoutUpdate:
        if isinstance(self.root, OrderTicket):
            fulls.append("ticket")
        return whole(self, simplify)

    monkeypatch.setattr(Compositor, "render_full_update", counted)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("b", "escape")  # the first open lays the ticket out (drawn whole twice)
        await settle(pilot, app)
        for round_ in range(8):
            move_market(app, 30 + round_)
            await settle(pilot, app)
            fulls.clear()
            await pilot.press("b")
            assert isinstance(app.screen, OrderTicket)
            for _ in range(3):
                await pilot.pause()
            assert len(fulls) == 1, f"round {round_}: the ticket was drawn whole {len(fulls)} times"
            await pilot.press("escape")
