"""What the console's end-to-end tests on the real engine and sim venue share once the console runs
(``console_on_sim`` in ``tests/console/conftest.py`` starts it): a long opened at market and focused
in the positions pane, an order resting in the orders pane, and a price a share of the mark."""

from __future__ import annotations

from decimal import Decimal

from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.api import CommandResult
from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from tests.support.console_types import SYM, WaitUntil
from widgets.orders import OrdersTable
from widgets.positions import PositionsTable

TICK = Decimal("0.1")
"""The sim's BTCUSDT price tick."""


def off_mark(engine: Engine, share: str) -> Decimal:
    """The mark price times ``share`` (``"0.95"``: 5 % under), on the tick."""
    ticker = engine.store.ticker(SYM)
    assert ticker is not None
    return (ticker.mark_price * Decimal(share)).quantize(TICK)


async def open_long_in_pane(
    pilot: Pilot[int], app: TradeConsoleApp, engine: Engine, wait_until: WaitUntil, qty: str = "0.01"
) -> PositionsTable:
    """A market buy of ``qty`` through the engine; waits for its row in the positions pane and
    focuses the pane (its keys act on that position). Returns the pane."""
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal(qty), OrderType.MARKET))
    assert res.ok, res.message
    positions = app.main.query_one(PositionsTable)
    await wait_until(pilot, lambda: positions.row_count == 1, "the position in the positions pane")
    positions.focus()
    return positions


async def rest_in_orders_pane(
    pilot: Pilot[int],
    app: TradeConsoleApp,
    engine: Engine,
    wait_until: WaitUntil,
    request: OrderRequest,
    what: str = "the order in the orders pane",
) -> tuple[CommandResult, OrdersTable]:
    """Place ``request`` (an order that rests) through the engine and wait for its row in the orders
    pane (``what`` names it in a timeout). Returns the engine's result and the pane, not focused."""
    res = await engine.place(request)
    assert res.ok, res.message
    table = app.main.query_one(OrdersTable)
    await wait_until(pilot, lambda: table.row_count == 1, what)
    return res, table
