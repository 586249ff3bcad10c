"""Helpers for the tests of the main screen's kept frame and what the terminal shows: settle the
screen, move the fake engine's market, compare strips."""

from __future__ import annotations

from decimal import Decimal

from textual.pilot import Pilot
from textual.strip import Strip

from console.app import TradeConsoleApp
from console.screens.frame import FrameKeepingCompositor
from core.model import BookLevel, BookView
from tests.support.console_fakes import MIDS, fake


def segments(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    return [[(t, s) for t, s, _ in strip] for strip in strips]


def main_compositor(app: TradeConsoleApp) -> FrameKeepingCompositor:
    compositor = app.main._compositor
    assert isinstance(compositor, FrameKeepingCompositor)
    return compositor


async def settle(pilot: Pilot[int], app: TradeConsoleApp) -> None:
    """Until the main screen has handed every widget change to its compositor (Textual does
    that on the screen's next update, a frame after the change)."""
    await pilot.pause()
    main = app.main
    for _ in range(100):
        widgets = main._compositor.visible_widgets
        pending = any(widget._repaint_required for widget in widgets if widget is not main)
        if not pending and not main._layout_required:
            return
        await pilot.pause(0.02)
    raise AssertionError("the main screen never settled")


async def assert_frame_is_current(pilot: Pilot[int], app: TradeConsoleApp) -> None:
    """The kept frame, brought up to date, equals a full render of the screen now."""
    await settle(pilot, app)
    compositor = main_compositor(app)
    kept = compositor.frame_lines()
    assert len(kept) == compositor.size.height
    assert segments(kept) == segments(compositor.render_strips())


def move_market(app: TradeConsoleApp, step: int) -> None:
    engine = fake(app)
    mid = MIDS["BTCUSDT"] + Decimal(step)
    bids = tuple(BookLevel(mid - Decimal(i) - Decimal("0.5"), Decimal(1 + (i + step) % 4)) for i in range(30))
    asks = tuple(BookLevel(mid + Decimal(i) + Decimal("0.5"), Decimal(1 + (i * step) % 5)) for i in range(30))
    engine.store.put_book(BookView("BTCUSDT", bids, asks, 100 + step, 100 + step, engine.clock.now_ms()))
    app.refresh_ui(force=True)
