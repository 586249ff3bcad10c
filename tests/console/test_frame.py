"""The main screen keeps the frame it drew (console/screens/frame.py): the kept frame must always be
exactly what a full render gives, whatever changed and however (market updates, log lines, focus,
a pane hidden, a resize, a theme switch), with the screen on top or covered by a modal; and a
modal's backdrop drawn from it must not render the covered screen again."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.renderables.background_screen import BackgroundScreen
from textual.visual import RichVisual

from console.app import TradeConsoleApp
from console.screens.backdrop import BackdropMemo, DimmedBackdrop
from console.screens.frame import FrameKeepingCompositor
from console.screens.ticket import OrderTicket
from tests.support.console_fakes import make_app
from tests.support.frame_checks import assert_frame_is_current, main_compositor, move_market, segments

SIZE = (160, 50)


def _record_renders(compositor: FrameKeepingCompositor) -> list[object]:
    """Every region the compositor renders from now on, appended to the list returned as it renders."""
    crops: list[object] = []
    render_chops = compositor._render_chops

    def counting(crop, is_rendered_line):  # type: ignore[no-untyped-def]
        crops.append(crop)
        return render_chops(crop, is_rendered_line)

    compositor._render_chops = counting  # type: ignore[method-assign]
    return crops


async def _changes(pilot: Pilot[int], app: TradeConsoleApp) -> None:
    """One round of everything that changes the main screen, checking the frame after each."""
    for step in range(1, 4):
        move_market(app, step)
        await assert_frame_is_current(pilot, app)
    app.log_line("a line for the log pane")
    app.refresh_ui(force=True)
    await assert_frame_is_current(pilot, app)
    app.main.action_toggle_pane("tape")
    await assert_frame_is_current(pilot, app)
    app.main.action_toggle_pane("tape")
    await assert_frame_is_current(pilot, app)


async def test_the_kept_frame_is_what_a_full_render_gives_on_top_and_covered() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await assert_frame_is_current(pilot, app)
        await _changes(pilot, app)
        await pilot.press("tab", "down")
        await assert_frame_is_current(pilot, app)
        await pilot.press("b")
        assert isinstance(app.screen, OrderTicket)
        await _changes(pilot, app)  # covered: Textual hands the changes to the ticket instead
        app.set_theme("trade-light")
        await assert_frame_is_current(pilot, app)
        await pilot.resize_terminal(100, 30)
        await assert_frame_is_current(pilot, app)
        await pilot.press("escape")
        await assert_frame_is_current(pilot, app)
        await pilot.resize_terminal(80, 24)
        await assert_frame_is_current(pilot, app)
        await _changes(pilot, app)


async def test_the_backdrop_from_the_kept_frame_is_textuals_dimmed_screen() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        memo = BackdropMemo()
        for step in range(3):
            move_market(app, step)
            app.log_line(f"covered change {step}")
            app.refresh_ui(force=True)
            await pilot.pause()
            color = ticket.styles.background
            width, height = ticket.size
            style = ticket.visual_style
            ours = DimmedBackdrop(app.main, color, memo=memo).render_strips(width, height, style, None)  # type: ignore[arg-type]
            theirs = RichVisual(ticket, BackgroundScreen(app.main, color)).render_strips(
                width,
                height,
                style,
                None,  # type: ignore[arg-type]
            )
            assert segments(ours) == segments(theirs)
        assert any(f"covered change {step}" in strip.text for strip in ticket._compositor.render_strips())


async def test_opening_the_ticket_does_not_render_the_covered_screen_again() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        compositor = main_compositor(app)
        rendered = _record_renders(compositor)
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        await pilot.pause()
        ticket.refresh()  # a repaint of the ticket itself (focus, preview) draws nothing behind it
        await pilot.press("tab")
        await pilot.pause()
        assert rendered == []  # the backdrop is the frame the main screen drew last
        app.log_line("a change behind the ticket")
        app.refresh_ui(force=True)
        await pilot.pause()
        await pilot.pause()
        assert rendered, "a change on the covered screen is drawn"
        assert all(crop != compositor.size.region for crop in rendered)  # only where it changed
        texts = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any("a change behind the ticket" in text for text in texts)
        assert compositor.full_renders == 0


async def test_closing_the_ticket_repaints_the_main_screen_from_its_frame() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert isinstance(app.screen, OrderTicket)
        await pilot.pause()
        compositor = main_compositor(app)
        crops = _record_renders(compositor)
        app.log_line("a change while covered")
        app.refresh_ui(force=True)
        await pilot.pause()
        await pilot.press("escape")
        await assert_frame_is_current(pilot, app)
        whole = compositor.size.region
        assert crops.count(whole) == 1  # only the check's own full render above
        texts = [strip.text for strip in compositor.frame_lines()]
        assert any("a change while covered" in text for text in texts)
