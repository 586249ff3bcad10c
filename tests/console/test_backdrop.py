"""The modals' dimmed backdrop: drawn from the covered screen's strips with a tint cache, it must
show exactly what Textual's own translucent-modal path shows, and follow the covered screen."""

from __future__ import annotations

from rich.segment import Segment
from textual.renderables.background_screen import BackgroundScreen
from textual.strip import Strip
from textual.visual import RichVisual

from console.screens.backdrop import DimmedBackdrop
from console.screens.cmdline import CommandLine
from console.screens.ticket import OrderTicket
from tests.support.console_fakes import make_app

SIZE = (160, 50)


def _segments(strips: list[Strip]) -> list[list[Segment]]:
    return [[Segment(t, s, None) for t, s, _ in strip] for strip in strips]


async def test_ticket_backdrop_matches_textuals_dimmed_screen() -> None:
    """Same text and same styles on every line as Textual's ``BackgroundScreen``, at every theme."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for theme in ("trade-dark", "trade-light"):
            app.set_theme(theme)
            await pilot.press("b")
            ticket = app.screen
            assert isinstance(ticket, OrderTicket)
            await pilot.pause()
            color = ticket.styles.background
            assert color.a < 1  # a translucent modal: the backdrop path is the one drawn
            width, height = ticket.size
            style = ticket.visual_style
            ours = DimmedBackdrop(app.main, color).render_strips(width, height, style, None)  # type: ignore[arg-type]
            theirs = RichVisual(ticket, BackgroundScreen(app.main, color)).render_strips(
                width,
                height,
                style,
                None,  # type: ignore[arg-type]
            )
            assert len(ours) == height
            assert _segments(ours) == _segments(theirs)
            assert [s.cell_length for s in ours] == [s.cell_length for s in theirs]
            await pilot.press("escape")


async def test_backdrop_follows_the_covered_screen() -> None:
    """A change on the covered main screen reaches the backdrop drawn behind the modal."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        assert isinstance(app.screen, CommandLine)
        await pilot.pause()
        app.log_line("backdrop-marker-line")
        await pilot.pause()
        await pilot.pause(0.6)  # the covered panes repaint at their reduced rate
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "backdrop-marker-line" in text


async def test_cmdline_marks_only_the_summary_ready() -> None:
    """Ready / refused colour the summary line (the class sits on it, not on the whole screen)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        summary = screen.query_one("#cmd-summary")
        for ch in "buy 0.01":
            await pilot.press({" ": "space", ".": "full_stop"}.get(ch, ch))
        await pilot.pause()
        assert screen.plan is not None and screen.plan.ready, screen.plan
        assert summary.has_class("-ready") and not screen.has_class("-ready")
        ready_colour = summary.styles.color
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("x", "y", "z")
        await pilot.pause()
        assert summary.has_class("-refused") and not summary.has_class("-ready")
        assert summary.styles.color != ready_colour


async def test_a_reopened_ticket_paints_what_a_fresh_render_paints() -> None:
    """The modal's styled backdrop lines are reused only while nothing they were made from
    changed: after reopening, a market change behind it, a theme switch and a resize, every line
    equals the lines the modal renders with its caches dropped."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:

        async def reopen_and_compare() -> None:
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("b")
            ticket = app.screen
            assert isinstance(ticket, OrderTicket)
            await pilot.pause()
            reused = _segments(ticket._compositor.render_strips())
            ticket._styled = None
            ticket._styles_cache.clear()
            fresh = _segments(ticket._compositor.render_strips())
            assert reused == fresh

        await pilot.press("b")
        await pilot.pause()
        await reopen_and_compare()
        app.log_line("a change behind the ticket")
        app.refresh_ui(force=True)
        await reopen_and_compare()
        app.set_theme("trade-light")
        await reopen_and_compare()
        await pilot.resize_terminal(100, 30)
        await reopen_and_compare()
