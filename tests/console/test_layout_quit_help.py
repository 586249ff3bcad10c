"""Quitting says truthfully what happens to open orders and positions in each mode; the help
screen explains how to select a row and every ticket key, and fits 80×24; only themes that
pass the contrast check are offered (palette, ``t``), and pane borders read on the light theme."""

from __future__ import annotations

from typing import Any

import pytest
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Checkbox, Static

from console.app import TradeConsoleApp
from console.screens.modals import ConfirmScreen, HelpScreen
from console.screens.ticket import OrderTicket
from console.screens.ticket_form import KINDS, UNITS
from core.model import Mode
from tests.support.console_fakes import fake, make_app
from widgets.choice import Choice


def _body(app: TradeConsoleApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen), type(screen).__name__
    return screen.body


async def _press_q(app: TradeConsoleApp, **size: Any) -> str:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await pilot.pause()
        body = _body(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and app.screen is app.main
        return body


async def test_quit_with_only_positions_asks_first() -> None:
    app = make_app()
    fake(app).orders.clear()
    body = await _press_q(app)
    assert "0 working orders and 2 open positions" in body


async def test_quit_on_the_embedded_sim_says_everything_disappears() -> None:
    app = make_app()
    assert app.settings.sim.embedded
    body = await _press_q(app)
    assert "3 working orders and 2 open positions" in body
    assert "disappear" in body and "STAY ON" not in body


async def test_quit_on_a_standalone_sim_says_they_stay_and_keep_running() -> None:
    app = make_app(sim={"embedded": False})
    body = await _press_q(app)
    assert "STAY ON the standalone sim venue (http://127.0.0.1:" in body
    assert "keep working" in body and "at risk" in body


async def test_quit_in_demo_names_bybit_demo() -> None:
    body = await _press_q(make_app("demo"))
    assert "STAY ON Bybit demo trading (paper money)" in body


def test_live_quit_notice_says_real_money() -> None:
    from console.quitting import quit_notice

    text = quit_notice(Mode.LIVE, embedded_sim=True, venue="https://api.bybit.com", n_orders=1, n_positions=0)
    assert text is not None and "Bybit MAINNET" in text and "REAL MONEY" in text
    assert "1 working order and 0 open positions" in text
    assert quit_notice(Mode.LIVE, embedded_sim=False, venue="", n_orders=0, n_positions=0) is None


async def test_quit_with_nothing_open_exits_at_once() -> None:
    app = make_app()
    eng = fake(app)
    eng.orders.clear()
    eng.positions.clear()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_help_explains_row_selection_and_every_ticket_key_and_fits_80x24() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        box = help_screen.query_one(".help-box")
        assert box.region.right <= 80 and box.region.bottom <= 24
        guide = str(help_screen.query_one("#help-guide", Static).render())
        for must in (
            "SELECT A ROW",
            "Tab, shift+Tab",
            "↑ / ↓",
            "ORDER TICKET",
            "← / →, Space",
            *(label for label, _ in KINDS + UNITS),
            "reduce-only / post-only",
            "ctrl+t",
            "Enter",
            "from any field",
            "Escape",
        ):
            assert must in guide, must
        scroll = help_screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0, "at 80×24 the help scrolls"
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main


async def test_the_keys_the_help_names_are_the_tickets_real_bindings() -> None:
    ticket_keys = {b.key: b.action for b in OrderTicket.BINDINGS if isinstance(b, Binding)}
    assert ticket_keys["ctrl+t"] == "flip_side" and ticket_keys["escape"] == "cancel"
    choice_keys = {b.key: b.action for b in Choice.BINDINGS if isinstance(b, Binding)}
    assert choice_keys == {"left": "step(-1)", "right,space": "step(1)"}
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        flag = app.screen.query_one("#t-ro", Checkbox)
        keys = {key for b in flag._bindings.key_to_bindings.values() for key in [b[0].key]}
        assert "space" in keys


async def test_only_offered_themes_are_registered_and_t_cycles_them() -> None:
    from themes import offered_themes

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        offered = list(offered_themes())
        assert list(app.available_themes) == offered
        seen = [app.theme]
        for _ in offered:
            await pilot.press("t")
            seen.append(app.theme)
        assert seen[: len(offered)] == offered and seen[-1] == offered[0]


async def test_the_palette_offers_only_console_themes() -> None:
    from themes import offered_themes

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_change_theme()  # the palette's own "Theme" command
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        results = palette.query_one("CommandList")
        for _ in range(50):
            if results.option_count >= len(offered_themes()):  # type: ignore[attr-defined]
                break
            await pilot.pause(0.05)
        prompts = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]  # type: ignore[attr-defined]
        assert sorted(prompts) == sorted(offered_themes()), prompts


@pytest.mark.parametrize("theme", ["trade-dark", "trade-light", "trade-high-contrast", "trade-colorblind"])
async def test_pane_borders_read_against_the_background(theme: str) -> None:
    from themes.contrast import BORDER_MIN, contrast_ratio

    app = make_app(ui={"theme": theme})
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        background = app.main.styles.background
        _, colour = app.main.orders.styles.border_top
        assert contrast_ratio(colour.rgb, background.rgb) >= BORDER_MIN
