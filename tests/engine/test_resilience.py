"""Resilience scenarios against the sim's fault injection: no duplicate and no lost order."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from core.api import CommandResult
from core.engine import Engine
from core.model import OrderRequest, OrderStatus, OrderType, Side
from core.sim.runner import SimVenueThread
from core.venues.bybit.feeds import BybitFeeds
from tests.engine.conftest import engine_settings, venue_http, venue_open_orders, venue_positions
from tests.engine.test_order_path import SYM, below, ready, wait_for


def fast_retries(engine: Engine) -> None:
    """Shrink backoff so fault storms resolve in test time (the schedule itself is unit-tested)."""
    policy = dataclasses.replace(engine.retry_policy, base_s=0.01, cap_s=0.2, max_attempts=8)
    engine.retry_policy = policy
    engine.executor.policy = policy


def venue_orders_by_link(sim: SimVenueThread) -> dict[str, int]:
    """How many orders the venue holds per orderLinkId (open + history)."""
    http = venue_http(sim)
    counts: dict[str, int] = {}
    for res in (
        http.get_open_orders(category="linear", settleCoin="USDT", limit=50),
        http.get_order_history(category="linear", limit=50),
    ):
        for o in res["result"]["list"]:
            counts[o["orderLinkId"]] = counts.get(o["orderLinkId"], 0) + 1
    return counts


@pytest.mark.parametrize(
    "faults",
    [
        "rate_limit=0.5,seed=3",
        "drop_rest=0.3,seed=4",
        "http5xx=0.3,seed=5",
        "drop_after=0.3,seed=6",
        "http5xx_after=0.3,seed=7",
    ],
)
async def test_no_duplicates_under_fault_storms(sim: SimVenueThread, tmp_path: Path, faults: str) -> None:
    # Breakers would (rightly) stop trading in such a storm; raise them to test the retry path.
    tolerant = {"api_failures": 10_000, "endpoint_open_after": 10_000}
    engine = Engine(engine_settings(sim, tmp_path, breakers=tolerant))
    await engine.start()
    try:
        fast_retries(engine)
        mark = await ready(engine)
        sim.set_faults(faults)
        results = []
        for i in range(8):
            price = below(mark, "0.97") - Decimal(i)
            results.append(
                await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, price))
            )
        sim.set_faults("")
        await _check_no_duplicates(engine, sim, faults, results)
    finally:
        await engine.stop()


async def _check_no_duplicates(
    engine: Engine, sim: SimVenueThread, faults: str, results: list[CommandResult]
) -> None:
    sent = [r.order_link_id for r in results if r.ok]
    assert len(sent) >= 6, [r.message for r in results]
    counts = venue_orders_by_link(sim)
    for link in sent:
        assert counts.get(link) == 1, f"{link} on the venue {counts.get(link, 0)} times ({faults})"
    assert all(c == 1 for c in counts.values())
    # The engine's view converges on the venue's once unknown outcomes are reconciled by id.
    await engine.reconciler.reconcile_journal()
    await engine.account_sync.refresh_account()
    assert engine.journal.open_intents() == []
    assert set(engine.state.orders) == {o["orderLinkId"] for o in venue_open_orders(sim)}


async def _partial_then_amend(engine: Engine, sim: SimVenueThread) -> bool:
    """One attempt: cross the best ask with more than it holds, then amend the rest.

    Returns False when the market filled the whole order before the amend could be tried
    (a live market moves); the caller tries again.
    """
    top = venue_http(sim).get_orderbook(category="linear", symbol=SYM, limit=1)["result"]["a"][0]
    price, size = Decimal(top[0]), Decimal(top[1])
    qty = min(size + Decimal("1.5"), Decimal("2")).quantize(Decimal("0.001"))  # under the notional cap
    res = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, price))
    assert res.ok, res.message
    link = res.order_link_id

    def settled() -> bool:
        o = engine.state.orders.get(link)
        return o is None or o.filled_qty > 0

    await wait_for(settled)
    order = engine.state.orders.get(link)
    if order is None or order.status is not OrderStatus.PARTIALLY_FILLED:
        return False
    new_qty = order.qty + Decimal("0.1")
    amended = await engine.amend(link, qty=new_qty)
    if not amended.ok:
        assert amended.ret_code == 110008, amended.message  # filled in between: try again
        return False
    await wait_for(lambda: link not in engine.state.orders or engine.state.orders[link].qty == new_qty)
    await engine.account_sync.refresh_account()
    venue = {o["orderLinkId"]: o for o in venue_open_orders(sim)}
    if link in venue:
        assert Decimal(venue[link]["qty"]) == new_qty
        assert Decimal(venue[link]["qty"]) == engine.state.orders[link].qty
        assert Decimal(venue[link]["cumExecQty"]) == engine.state.orders[link].filled_qty
    await engine.cancel_all(SYM)
    return True


async def test_partial_fill_then_amend(engine: Engine, sim: SimVenueThread) -> None:
    await ready(engine)
    for _ in range(5):
        if await _partial_then_amend(engine, sim):
            return
        # The market filled it all: flatten so the next attempt starts from the same account
        # (otherwise the position grows until the notional cap refuses the amend).
        await engine.cancel_all(SYM)
        if (pos := engine.state.positions.get(SYM)) is not None and not pos.is_flat:
            closed = await engine.close_position(SYM)
            assert closed.ok, closed.message
            await wait_for(lambda: (p := engine.state.positions.get(SYM)) is None or p.is_flat)
    raise AssertionError("never managed to amend a partially filled order in 5 attempts")


async def test_cancel_racing_a_fill_ends_consistent(engine: Engine, sim: SimVenueThread) -> None:
    await ready(engine)
    book = engine.store.book(SYM)
    assert book is not None and book.asks
    res = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, book.asks[0].price)
    )
    assert res.ok
    cancel = await engine.cancel(res.order_link_id)  # may lose the race: filled already (110001)
    await asyncio.sleep(0.3)
    await engine.account_sync.refresh_account()
    venue_open = {o["orderLinkId"] for o in venue_open_orders(sim)}
    assert set(engine.state.orders) == venue_open
    pos = {p["symbol"]: Decimal(p["size"]) for p in venue_positions(sim)}
    mine = engine.state.positions.get(SYM)
    assert (mine.size if mine else Decimal(0)) == pos.get(SYM, Decimal(0))
    assert cancel.ok or cancel.ret_code in (110001, 110008) or "no working order" in cancel.message


async def test_websocket_drop_resync_matches_venue(engine: Engine, sim: SimVenueThread) -> None:
    mark = await ready(engine)
    sim.set_faults("ws_disconnect=all")
    # While the engine's sockets are down, change the account behind its back.
    other = venue_http(sim)
    other.place_order(
        category="linear",
        symbol=SYM,
        side="Buy",
        orderType="Limit",
        qty="0.002",
        price=str(below(mark, "0.96")),
        orderLinkId="outside-1",
    )
    other.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="0.003")
    await wait_for(lambda: "outside-1" in engine.state.orders and SYM in engine.state.positions, timeout=10)
    assert engine.state.positions[SYM].size == Decimal("0.003")
    feeds, books = engine.feeds, engine.books
    assert isinstance(feeds, BybitFeeds) and books is not None
    assert feeds.reconnects["private"] + feeds.reconnects["public"] >= 1
    await wait_for(lambda: not books.is_stale(SYM), timeout=10)


async def test_book_gap_marks_stale_blocks_orders_and_resyncs(engine: Engine) -> None:
    mark = await ready(engine)
    feeds, books = engine.feeds, engine.books
    assert isinstance(feeds, BybitFeeds) and books is not None
    book = books.books[SYM]
    # A delta whose update id skips ahead is exactly what a lost frame looks like on the wire.
    feeds._on_public_msg(
        {
            "topic": f"orderbook.50.{SYM}",
            "type": "delta",
            "ts": 1,
            "data": {"s": SYM, "b": [], "a": [], "u": book.u + 5, "seq": 1},
        }
    )
    assert books.is_stale(SYM)
    blocked = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    assert not blocked.ok and blocked.check == "book_stale"
    await wait_for(lambda: not books.is_stale(SYM), timeout=10)
    ok = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    assert ok.ok, ok.message


async def test_daily_loss_breaker_blocks_increase_allows_reduce(sim: SimVenueThread, tmp_path: Path) -> None:
    settings = engine_settings(sim, tmp_path, breakers={"daily_loss_limit": "3"})
    engine = Engine(settings)
    await engine.start()
    try:
        await ready(engine)
        # Round trip at market: fees and spread lose a few USDT.
        assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.05"), OrderType.MARKET))).ok
        await wait_for(lambda: SYM in engine.state.positions)
        assert (
            await engine.place(
                OrderRequest(SYM, Side.SELL, Decimal("0.04"), OrderType.MARKET, reduce_only=True)
            )
        ).ok
        await engine.account_sync.refresh_account()
        await wait_for(lambda: engine.breaker_board.is_tripped("daily_loss"), timeout=5)
        assert engine.breaker_board.daily_loss >= Decimal("3")
        blocked = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))
        assert not blocked.ok and blocked.check == "breakers", blocked.message
        closing = await engine.close_position(SYM)
        assert closing.ok, closing.message
        kinds = [r.kind for r in engine.journal.query(kinds=["breaker_trip"])]
        assert kinds == ["breaker_trip"]
        reset = await engine.reset_breaker("daily_loss", who="test")
        assert reset.ok
        assert [r.kind for r in engine.journal.query(kinds=["breaker_reset"])] == ["breaker_reset"]
    finally:
        await engine.stop()


async def test_panic_flattens_under_faults(engine: Engine, sim: SimVenueThread) -> None:
    fast_retries(engine)
    mark = await ready(engine)
    for sym in ("BTCUSDT", "ETHUSDT"):
        await ready(engine, sym)
        assert (
            await engine.place(
                OrderRequest(
                    sym, Side.BUY, Decimal("0.05") if sym == "BTCUSDT" else Decimal("0.5"), OrderType.MARKET
                )
            )
        ).ok
    assert (
        await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    ).ok
    assert (
        await engine.place(
            OrderRequest(SYM, Side.SELL, Decimal("0.001"), OrderType.LIMIT, below(mark, "1.03"))
        )
    ).ok
    await wait_for(lambda: len(engine.state.positions) == 2)
    sim.set_faults("rate_limit=0.3,http5xx=0.2,seed=11")
    report = await engine.panic()
    sim.set_faults("")
    assert report.flat, report.steps
    assert venue_open_orders(sim) == []
    assert venue_positions(sim) == []
    steps = [r.data["step"] for r in engine.journal.query(kinds=["panic_step"])]
    assert steps[0] == "start" and steps[-1] == "done"
