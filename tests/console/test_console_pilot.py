"""Pilot tests on the deterministic fake engine: keys, modals, the ticket, panic and quitting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Input, Static

from console.app import EXIT_LIVE_REFUSED, TradeConsoleApp
from console.screens.amend import AmendScreen
from console.screens.modals import ConfirmScreen, HelpScreen, LiveConfirmScreen
from console.screens.panic import PanicScreen
from console.screens.position_tools import CloseScreen
from console.screens.ticket import FlagBox, OrderTicket
from core.model import OrderType, Side, TimeInForce
from tests.support.console_fakes import fake, make_app
from widgets.choice import Choice
from widgets.ladder import OrderLadder
from widgets.log_pane import EventLog
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable

SIZE = (160, 50)


def _text(app: TradeConsoleApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_buy_limit_by_keys_places_order_and_shows_it() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        assert isinstance(app.screen, OrderTicket)
        assert app.screen.query_one("#t-qty", Input).has_focus
        await pilot.press("0", ".", "2", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, OrderTicket)
        (kind, req), *_ = [c for c in eng.calls if c[0] == "place"]
        assert req.side is Side.BUY and req.qty == Decimal("0.2") and req.order_type is OrderType.LIMIT
        assert req.price == Decimal("49999.5")  # best bid prefilled
        link = app.last_result.order_link_id
        assert link in app.main.query_one(OrdersTable).rows
        placed = [line for line in app.main.query_one(EventLog).history if link in line]
        assert len(placed) == 1 and "placed BTCUSDT Buy 0.200 Limit @ 49,999.5" in placed[0], placed


async def test_preview_updates_as_user_types_and_blocked_order_is_not_sent() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "1")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert ticket.preview is not None and ticket.preview.allowed
        await pilot.press("0", "0")  # 100 contracts: 5M notional > 250k
        assert ticket.preview is not None and not ticket.preview.allowed
        assert "max_order_notional" in _text(app, "#ticket-preview")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is ticket, "a blocked ticket stays open"
        assert "blocked by max_order_notional" in _text(app, "#ticket-error")
        assert not [c for c in eng.calls if c[0] == "place"]
        await pilot.press("escape")
        assert app.screen_stack[-1] is app.main


async def test_invalid_input_says_what_is_wrong_in_place() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "a", "b", "c")
        assert "qty: 'abc' is not a number" in _text(app, "#ticket-error")
        await pilot.press("backspace", "backspace", "backspace", "1")
        price = app.screen.query_one("#t-price", Input)
        price.value = ""
        await pilot.pause()
        assert "price: required" in _text(app, "#ticket-error")


async def test_ticket_quote_qty_stop_and_flags() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        ticket.query_one("#t-unit", Choice).action_step(1)  # USDT
        ticket.query_one("#t-qty", Input).value = "1000"
        ticket.query_one("#t-price", Input).value = "50000"
        ticket.query_one("#t-po", FlagBox).value = True
        await pilot.pause()
        assert ticket.request is not None
        assert ticket.request.qty == Decimal("0.020")
        assert ticket.request.time_in_force is TimeInForce.POST_ONLY
        kind = ticket.query_one("#t-kind", Choice)
        kind.action_step(2)  # stop limit
        await pilot.pause()
        assert "trigger: required" in _text(app, "#ticket-error")
        ticket.query_one("#t-trigger", Input).value = "51000"
        await pilot.pause()
        assert ticket.request is not None and ticket.request.trigger_direction == 1
        ticket.action_send()
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert [c for c in eng.calls if c[0] == "place"]


async def test_amend_and_cancel_selected_order() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(OrdersTable)
        table.focus()
        table.move_cursor(row=1)
        key = table.selected_key
        assert key is not None
        await pilot.press("a")
        assert isinstance(app.screen, AmendScreen)
        app.screen.query_one("#amend-price", Input).value = "49990.0"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert ("amend", (key, None, Decimal("49990.0"))) in eng.calls
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert ("cancel", key) in eng.calls
        assert key not in table.rows


async def test_cancel_all_and_close_position_need_confirmation() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("C")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # Enter never confirms
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert not [c for c in eng.calls if c[0] == "cancel_all"]
        await pilot.press("C", "y")
        await app.workers.wait_for_complete()
        assert ("cancel_all", None) in eng.calls
        app.main.query_one(PositionsTable).focus()
        await pilot.press("x")
        assert isinstance(app.screen, CloseScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        assert ("close_position", "BTCUSDT") in eng.calls


async def test_panic_needs_y_does_not_stack_and_shows_progress() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, PanicScreen)
        depth = len(app.screen_stack)
        await pilot.press("ctrl+k", "enter")
        assert len(app.screen_stack) == depth, "a second panic press must not stack modals"
        assert not [c for c in eng.calls if c[0] == "panic"], "nothing is sent before the confirmation"
        await pilot.press("n")
        assert app.screen_stack[-1] is app.main
        await pilot.press("ctrl+k", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PanicScreen) and screen.state == "done"
        assert screen.report is not None and screen.report.flat
        assert ("panic", None) in eng.calls
        assert "FLAT" in _text(app, "#panic-status")
        assert any("PANIC done: FLAT" in line for line in app.main.query_one(EventLog).history)
        await pilot.press("escape")
        assert app.screen_stack[-1] is app.main
        assert app.main.query_one(OrdersTable).row_count == 0
        assert app.main.query_one(PositionsTable).row_count == 0


async def test_panic_inside_ticket_input() -> None:
    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "1")
        assert isinstance(app.screen, OrderTicket)
        await pilot.press("ctrl+k")
        assert isinstance(app.screen, PanicScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        assert ("panic", None) in eng.calls


async def test_keymap_from_settings_remaps_panic() -> None:
    app = make_app(keys={"panic": "f12", "bogus": "z"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+k")
        assert app.screen_stack[-1] is app.main
        await pilot.press("f12")
        assert isinstance(app.screen, PanicScreen)
        assert any("bogus" in line for line in app.main.query_one(EventLog).history)
        assert ("f12", "PANIC") in app.main.keybar.keys, "the key bar shows the remapped key"


async def test_live_wrong_phrase_quits_without_starting_the_engine() -> None:
    app = make_app("live")
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LiveConfirmScreen)
        assert app.screen.phrase == "LIVE BTCUSDT"
        await pilot.press(*"LIVE", "enter")
        await pilot.pause()
    assert app.return_code == EXIT_LIVE_REFUSED
    assert not eng.started and not eng.calls


async def test_live_right_phrase_starts_the_engine() -> None:
    app = make_app("live")
    eng = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"LIVE", "space", *"BTCUSDT", "enter")
        await app.workers.wait_for_complete()
        assert eng.started
        assert str(app.main.query_one("#mode-badge", Static).render()).strip().startswith("▲ LIVE")


async def test_symbol_theme_panes_help_and_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ladder = app.main.query_one(OrderLadder)
        await pilot.press("right_square_bracket")
        assert app.symbol == "ETHUSDT" and ladder.symbol == "ETHUSDT"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.symbol == "SOLUSDT"
        await pilot.press("t")
        assert app.theme == "trade-light"
        await pilot.press("4")
        assert not app.main.query_one("#log").display
        await pilot.press("4")
        assert app.main.query_one("#log").display
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "ctrl+k" in app.screen.help_text()
        shown = str(app.screen.query_one("#help-table", Static).render())
        assert "[       prev_symbol" in shown and "[keys]" in shown, "brackets are text, not markup"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"ETHUSDT")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.symbol == "ETHUSDT"


async def test_quit_confirms_when_orders_are_working() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        assert "disappear" in str(app.screen.body)  # the embedded sim stops with the console
        await pilot.press("n")
        assert app.screen_stack[-1] is app.main
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+q")
        assert sum(isinstance(s, ConfirmScreen) for s in app.screen_stack) == 1
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert fake(app).stopped


async def test_quit_without_orders_or_positions_exits_at_once() -> None:
    app = make_app()
    fake(app).orders.clear()
    fake(app).positions.clear()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_reused_ticket_is_reset_for_each_open() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "5")
        first = app.screen
        assert isinstance(first, OrderTicket)
        first.query_one("#t-kind", Choice).action_step(1)
        first.query_one("#t-tp", Input).value = "60000"
        await pilot.press("escape", "right_square_bracket", "s")
        again = app.screen
        assert again is first, "one installed ticket is reused"
        assert again.symbol == "ETHUSDT" and again.side is Side.SELL
        assert again.query_one("#t-qty", Input).value == ""
        assert again.query_one("#t-tp", Input).value == ""
        assert again.query_one("#t-kind", Choice).value == "limit"
        assert again.query_one("#t-price", Input).value == "3000.05"  # best ask of ETHUSDT
        assert again.query_one("#t-qty", Input).has_focus
        assert "SELL ETHUSDT" in str(again.query_one("#ticket-title").render())


async def test_rejection_toast_and_log_keep_bracketed_text() -> None:
    from core.events import VenueRejected

    app = make_app()
    eng = fake(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        eng.store.put_event(VenueRejected(eng.clock.now_ms(), "BTCUSDT", "tc-1", 10001, "qty [0.0001] < min"))
        app.refresh_ui()
        await pilot.pause()
        notes = list(app._notifications)
        assert notes and "qty [0.0001] < min" in notes[-1].message and not notes[-1].markup
        assert any("retCode 10001: qty [0.0001] < min" in line for line in app.main.log_pane.history)


async def test_opening_the_ticket_all_day_does_not_grow_the_heap() -> None:
    """Regression: Textual's Footer left every recomposed key widget alive (one set per screen
    change), so each ticket open/close kept ~2,000 objects and full collections grew without
    bound. The key bar draws plain data; the number of live widgets stays flat."""
    import gc

    from textual.widget import Widget

    from widgets.keybar import KeyBar

    def live_widgets() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, Widget))

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        bar = app.main.query_one(KeyBar)
        assert ("b", "Buy") in bar.keys and ("^k", "PANIC") in bar.keys
        for _ in range(3):
            await pilot.press("b", "escape")
        before = live_widgets()
        for _ in range(20):
            await pilot.press("b")
            assert isinstance(app.screen, OrderTicket)
            await pilot.press("escape")
        await pilot.pause()
        assert live_widgets() - before <= 2


async def test_console_freezes_its_start_up_heap_once_the_engine_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``run_console`` apps move start-up objects out of the collector's sight after the engine
    starts, so a full collection (and a keypress queued behind it) stays short."""
    import gc

    import console.startup_flow as app_module
    from console.app import TradeConsoleApp

    app = make_app()
    frozen_app = TradeConsoleApp(app.engine, app.settings, clock=app.clock, refresh=False, freeze_heap=True)
    settled: list[bool] = []  # the engine's state each time the heap is settled
    settle = app_module.settle_heap

    def watched() -> None:
        settled.append(frozen_app.engine_started)
        settle()

    monkeypatch.setattr(app_module, "settle_heap", watched)
    gc.unfreeze()
    try:
        async with frozen_app.run_test(size=SIZE) as pilot:
            while not settled:  # however long start-up takes on a loaded machine
                await pilot.pause(0.05)
            assert settled == [True], "settled once, and only after the engine started"
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


async def test_reopened_ticket_follows_a_theme_switch() -> None:
    """The reused ticket skips its restyle on reopen only while theme, breakpoints and size are
    unchanged; after a theme switch it shows the new theme's colours."""
    from textual.color import Color

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for theme in ("trade-light", "trade-colorblind", "trade-dark"):
            await pilot.press("b")
            ticket = app.screen
            assert isinstance(ticket, OrderTicket)
            title = ticket.query_one("#ticket-title")
            assert title.styles.background == Color.parse(app.get_css_variables()["bid"])
            await pilot.press("escape")
            app.set_theme(theme)
            await pilot.pause()
        await pilot.press("s")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        assert app.theme == "trade-dark"
        title = ticket.query_one("#ticket-title")
        assert title.styles.background == Color.parse(app.get_css_variables()["ask"])


async def test_reopened_ticket_follows_a_terminal_resize() -> None:
    """Narrow breakpoint classes change while the ticket is closed: the next open restyles it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        await pilot.pause()
        box = ticket.query_one(".ticket-box")
        assert box.outer_size.width == 100
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert app.screen is ticket
        assert box.outer_size.width == 80, "the narrow layout applies to the reused ticket"
