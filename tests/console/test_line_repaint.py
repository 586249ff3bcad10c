"""Line panes repaint only the rows that changed: an unchanged tick paints nothing, and a change,
to one row or to many, still reaches the screen exactly as a full repaint would draw it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from textual.strip import Strip

from core.model import BookLevel
from tests.support.console_fakes import fake, make_app
from widgets.ladder import OrderLadder

SIZE = (160, 50)
SYM = "BTCUSDT"


def _screen_text(strips: list[Strip]) -> list[str]:
    return [s.text for s in strips]


def _screen_segments(strips: list[Strip]) -> list[list[tuple[str, object]]]:
    return [[(t, st) for t, st, _ in s] for s in strips]


async def test_ladder_repaints_a_changed_row_and_matches_a_full_repaint() -> None:
    """One level's size changes: the new size is on screen, the other rows did not go stale, and
    the screen equals what a forced full repaint of every pane draws."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine = fake(app)
        app.refresh_ui(force=True)
        await pilot.pause()
        ladder = app.main.query_one(OrderLadder)
        book = engine.store.book(SYM)
        assert book is not None
        before = list(ladder.lines)

        app.refresh_ui(force=True)  # the same book again: same lines, nothing to repaint
        assert ladder.lines == before

        bids = list(book.bids)
        bids[3] = BookLevel(bids[3].price, Decimal("7.777"))
        engine.store.put_book(replace(book, bids=tuple(bids), update_id=2, seq=2))
        app.refresh_ui(force=True)
        await pilot.pause()
        changed = [y for y, (a, b) in enumerate(zip(before, ladder.lines, strict=True)) if a != b]
        assert changed and len(changed) < len(before)  # a partial change (the size and totals below)

        shown = app.screen._compositor.render_strips()
        assert any("7.777" in line for line in _screen_text(shown))
        for widget in app.main.query("*"):
            widget.refresh()
        await pilot.pause()
        assert _screen_segments(app.screen._compositor.render_strips()) == _screen_segments(shown)


async def test_ladder_follows_a_moving_book_row_by_row() -> None:
    """The book moves by a tick several times (rows shift; their strips are reused by content):
    after each move the screen shows exactly the ladder's current lines."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        engine = fake(app)
        app.refresh_ui(force=True)
        await pilot.pause()
        ladder = app.main.query_one(OrderLadder)
        book = engine.store.book(SYM)
        assert book is not None
        tick = Decimal("0.1")
        for k in (1, 2, 1, 0, 3):
            bids = tuple(BookLevel(lv.price + tick * 10 * k, lv.size) for lv in book.bids)
            asks = tuple(BookLevel(lv.price + tick * 10 * k, lv.size) for lv in book.asks)
            engine.store.put_book(replace(book, bids=bids, asks=asks, update_id=10 + k, seq=10 + k))
            app.refresh_ui(force=True)
            await pilot.pause()
            region = ladder.content_region
            shown = app.screen._compositor.render_strips()
            rows = [s.crop(region.x, region.right).text for s in shown[region.y : region.bottom]]
            expected = ["".join(text for text, _ in line) for line in ladder.lines]
            assert [r.rstrip() for r in rows[: len(expected)]] == [e.rstrip() for e in expected]
