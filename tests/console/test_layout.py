"""The main screen at 80×24, 100×30 and 160×50: every pane labelled, the header with mode, symbol,
equity and PnL, positions with entry/mark/liq, orders with their status, a usable log pane, and
pane toggles (1–4) that a second press undoes exactly."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.geometry import Region
from textual.widget import Widget

from console.app import TradeConsoleApp
from tests.support.console_fakes import make_app

SIZES = [(80, 24), (100, 30), (160, 50)]
PANES = {
    "#ladder": "Book",
    "#positions": "Positions",
    "#orders": "Orders",
    "#log": "Log",
    "#risk-col": "Risk",
}


def screen_rows(app: TradeConsoleApp) -> list[str]:
    """The screen as plain text rows (what a terminal would show)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    rows = console.export_text().split("\n")
    return [row.ljust(width) for row in rows[:height]]


def text_in(rows: list[str], region: Region) -> str:
    """The text inside ``region``, row by row."""
    return "\n".join(rows[y][region.x : region.right] for y in range(region.y, region.bottom))


def regions(app: TradeConsoleApp) -> dict[str, Region]:
    out = {}
    for selector in (*PANES, "#header", "#tape", "#chart", "#body", "#bottom"):
        w: Widget = app.main.query_one(selector)
        out[selector] = w.region if w.display and w.parent is not None and w.parent.display else Region()
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_pane_is_labelled_and_shows_what_a_trader_reads(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.refresh_ui(force=True)
        await pilot.pause()
        rows = screen_rows(app)
        for selector, title in PANES.items():
            region = app.main.query_one(selector).region
            assert region.area and region.right <= size[0] and region.bottom <= size[1], selector
            assert title in rows[region.y][region.x : region.right], (selector, rows[region.y])

        header = rows[0]
        # uPnL: the positions' at their marks (250.00 + 20.00), not the wallet's last push (250.50)
        for must in ("SIM", "BTCUSDT", "100,250.50", "▲+270.00"):
            assert must in header, (must, header)

        positions = text_in(rows, app.main.positions.region)
        for must in ("49,500.0", "50,000.0", "45,050.0", "▲+250.00", "3,010.00", "3,580.00"):
            assert must in positions, (must, positions)
        assert "L" in positions and "S" in positions

        orders = text_in(rows, app.main.orders.region)
        assert orders.count("New") == 3 and "49,995.5" in orders and "145.000" in orders, orders

        assert app.main.log_pane.region.width >= 48
        assert app.main.orders.region.height >= 5
        keybar = rows[size[1] - 1]
        for must in ("^k PANIC", "? Help", "q Quit", "b Buy"):
            assert must in keybar, (must, keybar)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    ("key", "hidden"),
    [("1", "#ladder"), ("2", "#positions"), ("3", "#risk-col"), ("4", "#log")],
)
async def test_pane_toggles_are_reversible(size: tuple[int, int], key: str, hidden: str) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.refresh_ui(force=True)
        await pilot.pause()
        before = regions(app)
        await pilot.press(key)
        await pilot.pause()
        assert not regions(app)[hidden].area, f"{key} hides {hidden}"
        await pilot.press(key)
        await pilot.pause()
        assert regions(app) == before


async def test_market_toggle_twice_keeps_the_orders_on_screen_at_80x24() -> None:
    """The old toggle set ``display`` inline and brought back the chart the 80-column layout hides,
    pushing the order rows off the screen until restart."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_ui(force=True)
        await pilot.pause()
        await pilot.press("1", "1")
        await pilot.pause()
        assert not app.main.chart.region.area
        rows = screen_rows(app)
        orders = text_in(rows, app.main.orders.region)
        assert orders.count("New") == 3, orders


async def test_hiding_everything_leaves_the_rest_filling_the_screen() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.refresh_ui(force=True)
        await pilot.pause()
        await pilot.press("1", "2")
        await pilot.pause()
        assert app.main.log_pane.region.height > 10, "log and risk take the freed rows"
        await pilot.press("3", "4", "1", "2", "3", "4")
        await pilot.pause()
        assert app.main.orders.region.height >= 5 and app.main.log_pane.region.width >= 48
