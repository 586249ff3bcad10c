"""The console with ``venue.name = "multi"`` on both embedded sims (started as ``run_console`` starts
them: Bybit's on ``sim.port``, Hyperliquid's on the next): positions and orders on both venues,
each row labelled with its venue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.app import TradeConsoleApp
from console.runner import Stoppable, start_embedded_sims
from core.config import Settings, load_settings
from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.venues.registry import build_venue
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable
from widgets.table_diff import DiffTable

SIZE = (160, 50)
SYMBOLS = ["BTCUSDT", "ETHUSDT", "BTCUSDT.HL", "ETHUSDT.HL"]
TRIES = 200


@pytest.fixture
def both(tmp_path: Path) -> Iterator[Settings]:
    settings = load_settings(
        None,
        venue={"name": "multi"},
        sim={"port": 0, "seed": 7},
        risk={"symbols": SYMBOLS},
        ui={"default_symbol": "BTCUSDT"},
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False, "log_dir": str(tmp_path / "logs")},
    )
    sims: list[Stoppable]
    sims, settings = start_embedded_sims(settings)
    try:
        assert len(sims) == 2
        yield settings
    finally:
        for sim in sims:
            sim.stop()


async def until(pilot: Pilot[int], cond: Callable[[], bool], what: str) -> None:
    for _ in range(TRIES):
        if cond():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def labelled(table: DiffTable) -> set[tuple[str, str]]:
    """(symbol, venue) of every row the table shows."""
    keys = table.column_keys
    if "venue" not in keys:
        return set()
    sym, ven = keys.index("asset"), keys.index("venue")
    return {(cells[sym][0], cells[ven][0]) for cells in table.rows_shown.values()}


async def test_positions_and_orders_on_both_venues_are_labelled(both: Settings) -> None:
    engine = Engine(both)
    app = TradeConsoleApp(engine, both)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: (
                app.engine_started
                and all(engine.store.ticker(s) is not None for s in ("BTCUSDT", "ETHUSDT.HL"))
            ),
            "engine start and tickers on both venues",
        )
        res = await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.002"), OrderType.MARKET))
        assert res.ok, res.message
        res = await engine.place(OrderRequest("ETHUSDT.HL", Side.SELL, Decimal("0.5"), OrderType.MARKET))
        assert res.ok, res.message
        ticker = engine.store.ticker("ETHUSDT.HL")
        assert ticker is not None
        price = (ticker.mark_price * Decimal("0.9")).quantize(Decimal("0.1"))
        res = await engine.place(OrderRequest("ETHUSDT.HL", Side.BUY, Decimal("0.5"), OrderType.LIMIT, price))
        assert res.ok, res.message

        positions = app.main.query_one(PositionsTable)
        orders = app.main.query_one(OrdersTable)
        await until(
            pilot,
            lambda: labelled(positions) == {("BTCUSDT", "BYB"), ("ETHUSDT", "HL")},
            "both positions labelled with their venue",
        )
        await until(pilot, lambda: labelled(orders) == {("ETHUSDT", "HL")}, "the order labelled HL")

        report = await engine.panic()
        assert report.flat, report.steps
        await until(pilot, lambda: not positions.rows_shown, "the positions pane empty after panic")


def test_hyperliquid_alone_gets_its_own_embedded_sim(tmp_path: Path) -> None:
    settings = load_settings(None, venue={"name": "hyperliquid"}, sim={"port": 0}, metrics={"enabled": False})
    sims, settings = start_embedded_sims(settings)
    try:
        assert len(sims) == 1 and settings.sim.port != 0
        venue = build_venue(settings)
        assert [i.symbol for i in venue.instruments(("BTCUSDT",))] == ["BTCUSDT"]
    finally:
        for sim in sims:
            sim.stop()
