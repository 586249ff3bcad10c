"""The main screen's own lines (its background under the panes) are kept between frames
(console/screens/kept_lines.py): what it answers must always be what a fresh render gives —
after market moves, a theme switch, a resize, a modal on top — and steady frames must reuse it."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

from console.app import TradeConsoleApp
from tests.console.test_frame import _changes, _segments, settle
from tests.support.console_fakes import make_app

SIZE = (160, 50)


def _assert_fresh(app: TradeConsoleApp) -> None:
    """What the screen answers now, first for the crop the compositor last asked (the whole
    screen), equals a render with Textual's line cache dropped."""
    main = app.main
    crops = [main.region, Region(0, 5, main.region.width, 10), Region(10, 0, 40, main.region.height)]
    for crop in crops:
        kept = main.render_lines(crop)
        main._styles_cache.clear()
        fresh = Widget.render_lines(main, crop)
        assert _segments(kept) == _segments(fresh), crop
    main.render_lines(main.region)  # as the compositor asks it


async def test_the_screen_background_kept_is_a_fresh_render_and_steady_frames_reuse_it() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        kept = app.main._kept_lines
        before = kept.reused
        await _changes(pilot, app)  # market moves, a log line, a pane hidden and shown
        assert kept.reused > before  # the panes changed, the background under them did not
        _assert_fresh(app)
        app.set_theme("trade-light")
        await settle(pilot, app)
        _assert_fresh(app)
        await pilot.resize_terminal(100, 30)
        await settle(pilot, app)
        _assert_fresh(app)
        await pilot.press("b")
        await pilot.press("escape")
        await settle(pilot, app)
        _assert_fresh(app)
