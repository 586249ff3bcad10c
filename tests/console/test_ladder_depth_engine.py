"""The ladder's coarsest price group on the real engine and the sim: a full ladder of rows.

The trading book (``orderbook.50``) holds about 5 USD of BTC a side, one or two rows at the
10-USD group; the display book (``orderbook.1000``) carries the ladder past it, so every grouping
step the keys offer fills the pane. Own orders stay marked at their grouped level."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.console_types import SYM, AppReady, RealApp, WaitUntil
from widgets.ladder import OrderLadder

pytestmark = pytest.mark.timeout(120)

SIZE = (160, 50)
COARSEST_PRESSES = 4
"""``g`` from the tick step to the coarsest (100 ticks: 10 USD for BTC)."""


def _rows(ladder: OrderLadder) -> tuple[list[str], list[str]]:
    """The ask and bid rows' texts as drawn (asks above the spread line, bids below)."""
    texts = ["".join(t for t, _ in line) for line in ladder.lines]
    spread = next(i for i, t in enumerate(texts) if "spread" in t or "STALE" in t)
    asks = [t for t in texts[1:spread] if t.strip()]
    bids = [t for t in texts[spread + 1 :] if t.strip()]
    return asks, bids


def _price(row: str) -> Decimal:
    return Decimal(row.split()[0].replace(",", ""))


async def test_the_coarsest_group_shows_a_full_ladder_with_own_orders_marked(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    make_real_app: RealApp,
    app_ready: AppReady,
    wait_until: WaitUntil,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        ladder = app.main.ladder
        for _ in range(COARSEST_PRESSES):
            await pilot.press("g")
        assert ladder.group_step == Decimal("10.0")
        await wait_until(pilot, lambda: engine.store.depth(SYM) is not None, "the display book")
        rows = (ladder.size.height - 2) // 2  # every row the pane has (9 a side at 160x50)
        assert rows >= 9
        await wait_until(
            pilot,
            lambda: all(len(side) == rows for side in _rows(ladder)),
            f"{rows} grouped rows a side at the 10-USD step",
        )
        asks, bids = _rows(ladder)
        ask_px = [_price(r) for r in asks]  # drawn best ask nearest the spread line: descending
        bid_px = [_price(r) for r in bids]
        step = Decimal(10)
        assert all(p % step == 0 for p in ask_px + bid_px)
        assert ask_px == sorted(ask_px, reverse=True) and bid_px == sorted(bid_px, reverse=True)
        assert all(a - b == step for a, b in zip(ask_px, ask_px[1:], strict=False))  # no gaps: whole groups
        assert all(a - b == step for a, b in zip(bid_px, bid_px[1:], strict=False))
        assert ask_px[-1] > bid_px[0]
        # an order far past the trading book's 50 levels is marked at its grouped level
        book = engine.store.book(SYM)
        assert book is not None and book.best_bid is not None
        deep = (book.best_bid - Decimal(60)).quantize(Decimal("0.1"))
        result = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, deep))
        assert result.ok, result
        level = (deep // step) * step
        await wait_until(
            pilot,
            lambda: any(_price(r) == level and "◆B" in r for r in _rows(ladder)[1]),
            f"own order marked at the {level} group",
        )
