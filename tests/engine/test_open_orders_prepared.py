"""The open-order sums are summed again when an order changes, not by the next command's checks.

An ack (of an amend, a place, a cancel) replaces an order object, so the pre-send checks' kept
sums of its symbol no longer hold. They were summed again lazily, by the first command checked
after it: an algo's amend on the next market move, with every other reaction of that pass waiting
behind it. Now the engine sums them at the loop's next turn after the ack, and the next command's
checks find them ready, equal to a fresh sum. On the in-process venue with a virtual clock."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.risk.context import summarize_open_orders
from tests.support.engine_types import SYM, Ready
from tests.support.venue_under_test import IN_PROCESS, InProcessVenue

QTY = Decimal("0.010")


@IN_PROCESS
async def test_an_ack_has_the_sums_ready_for_the_next_command(
    venue: InProcessVenue,
    tmp_path: Path,
    fast_retry_policy: RetryPolicy,
    ready: Ready,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = venue.engine(venue.settings(tmp_path), retry_policy=fast_retry_policy)
    await engine.start()
    try:
        mark = await ready(engine)
        tick = engine.pretrade.instruments[SYM].tick_size
        low = (mark * Decimal("0.9") / tick).to_integral_value() * tick
        links = []
        for price in (low, low - tick):
            res = await engine.place(OrderRequest(SYM, Side.BUY, QTY, OrderType.LIMIT, price))
            assert res.ok, res.message
            links.append(res.order_link_id)
        first, second = links
        await venue.wait_for(lambda: all(engine.state.orders[k].is_open for k in links), what="resting")

        cache = engine.pretrade.open_orders
        refreshes: list[int] = []
        refresh = cache._refresh

        def counted(*args: Any) -> None:
            refreshes.append(1)
            refresh(*args)

        monkeypatch.setattr(cache, "_refresh", counted)
        res = await engine.amend(first, price=low - 2 * tick)
        assert res.ok, res.message
        await venue.wait_for(lambda: engine.state.orders[first].price == low - 2 * tick, what="the ack")
        for _ in range(3):
            await asyncio.sleep(0)
        summed = len(refreshes)
        assert summed >= 1  # the ack's change was summed without any command asking

        context = engine.pretrade.risk_context(SYM, exclude=second)  # the next amend's checks
        assert len(refreshes) == summed  # found ready: nothing summed on the command's path
        others = (o for k, o in engine.state.orders.items() if k != second)
        fresh = summarize_open_orders(others, engine.pretrade._marks())
        assert {s: repr(v) for s, v in context.open_orders.items()} == {s: repr(v) for s, v in fresh.items()}
    finally:
        await engine.stop()
