"""Resilience: no duplicate and no lost order under the sim's wire faults (over HTTP), and order
races resolved deterministically on the in-process venue's virtual clock.

Fault storms, dropped sockets and book gaps are about the wire: they run on the sim over loopback
HTTP/WS. A partial fill, a cancel against a fill and the daily-loss breaker are about the order
lifecycle: on the in-process venue nothing moves unless the test lets time pass, so each outcome
is the one asserted, never one of several.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.api import CommandResult
from core.engine import Engine
from core.events import Connectivity
from core.model import OrderRequest, OrderStatus, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from core.venues.base import BookDelta
from core.venues.bybit.feeds import BybitFeeds
from tests.support.engine_types import SYM, Below, EngineSettingsFactory, Ready, VenueHttp, WaitFor
from tests.support.venue_under_test import IN_PROCESS, OVER_HTTP, VenueUnderTest

ORDER_GONE = 110001
"""Bybit's retCode for a cancel of an order that is no longer working."""


@pytest.mark.parametrize(
    "faults",
    [
        "rate_limit=0.5,rate_hold_ms=100,seed=3",  # each 10006 resets 100 ms later (not 1 s)
        "drop_rest=0.3,seed=4",
        "http5xx=0.3,seed=5",
        "drop_after=0.3,seed=6",
        "http5xx_after=0.3,seed=7",
    ],
)
async def test_no_duplicates_under_fault_storms(
    sim: SimVenueThread,
    http_venue: VenueUnderTest,
    tmp_path: Path,
    faults: str,
    engine_settings: EngineSettingsFactory,
    fast_retry_policy: RetryPolicy,
    ready: Ready,
    below: Below,
) -> None:
    # Breakers would (rightly) stop trading in such a storm; raise them to test the retry path.
    tolerant = {"api_failures": 10_000, "endpoint_open_after": 10_000}
    engine = Engine(engine_settings(sim, tmp_path, breakers=tolerant), retry_policy=fast_retry_policy)
    await engine.start()
    try:
        mark = await ready(engine)
        sim.set_faults(faults)
        results = []
        for i in range(8):
            price = below(mark, "0.97") - Decimal(i)
            results.append(
                await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, price))
            )
        sim.set_faults("")
        await _check_no_duplicates(engine, http_venue, faults, results)
    finally:
        await engine.stop()


async def _check_no_duplicates(
    engine: Engine, venue: VenueUnderTest, faults: str, results: list[CommandResult]
) -> None:
    sent = [r.order_link_id for r in results if r.ok]
    assert len(sent) >= 6, [r.message for r in results]
    counts = venue.order_counts()
    for link in sent:
        assert counts.get(link) == 1, f"{link} on the venue {counts.get(link, 0)} times ({faults})"
    assert all(c == 1 for c in counts.values())
    # The engine's view converges on the venue's once unknown outcomes are reconciled by id.
    await engine.reconciler.reconcile_journal()
    await engine.account_sync.refresh_account()
    assert engine.journal.open_intents() == []
    assert set(engine.state.orders) == {o["orderLinkId"] for o in venue.open_orders()}


@IN_PROCESS
async def test_partial_fill_then_amend(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    # Cross the best ask with more than it holds: the top level fills, the rest rests at its price.
    price, size = venue.best_ask()
    qty = (size + Decimal("0.5")).quantize(Decimal("0.001"))
    res = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, price))
    assert res.ok, res.message
    link = res.order_link_id
    await wait_for(lambda: engine.state.orders[link].filled_qty > 0, what="the venue's fill")
    order = engine.state.orders[link]
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.filled_qty == size

    new_qty = qty + Decimal("0.1")
    amended = await engine.amend(link, qty=new_qty)
    assert amended.ok, amended.message
    await wait_for(lambda: engine.state.orders[link].qty == new_qty, what="the amended order")
    (on_venue,) = venue.open_orders()
    assert (Decimal(on_venue["qty"]), Decimal(on_venue["cumExecQty"])) == (new_qty, size)
    await engine.account_sync.refresh_account()
    assert (engine.state.orders[link].qty, engine.state.orders[link].filled_qty) == (new_qty, size)


@IN_PROCESS
async def test_cancel_after_the_fill_is_refused_and_state_matches_the_venue(
    engine: Engine, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    price, size = venue.best_ask()
    qty = min(size, Decimal("0.01"))
    res = await engine.place(OrderRequest(SYM, Side.BUY, qty, OrderType.LIMIT, price))
    assert res.ok, res.message
    # The fill came first (at the venue, while the order was placed), its push not yet applied:
    # the cancel reaches the venue, which no longer holds the order.
    cancel = await engine.cancel(res.order_link_id)
    assert not cancel.ok and cancel.ret_code == ORDER_GONE, cancel.message
    assert cancel.message.startswith("cancel rejected: ") and "shows the order Filled" in cancel.message
    await engine.account_sync.refresh_account()
    assert engine.state.orders == {} and venue.open_orders() == []
    (position,) = venue.positions()
    assert engine.state.positions[SYM].size == Decimal(position["size"]) == qty


@IN_PROCESS
async def test_cancel_before_any_fill_wins_and_nothing_fills_later(
    engine: Engine, venue: VenueUnderTest, ready: Ready, below: Below
) -> None:
    mark = await ready(engine)
    res = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark, "0.999"))
    )
    assert res.ok, res.message
    cancel = await engine.cancel(res.order_link_id)
    assert cancel.ok, cancel.message
    await venue.pass_time(5)
    await engine.account_sync.refresh_account()
    assert engine.state.orders == {} and venue.open_orders() == []
    assert venue.positions() == [] and SYM not in engine.state.positions
    assert not [f for f in engine.state.fills if f.order_link_id == res.order_link_id]


@OVER_HTTP
async def test_websocket_drop_resync_matches_venue(
    engine: Engine, sim: SimVenueThread, venue_http: VenueHttp, ready: Ready, wait_for: WaitFor, below: Below
) -> None:
    mark = await ready(engine)
    engine.store.drain_events(10_000)
    sim.set_faults("ws_disconnect=all")
    # While the engine's sockets are down, change the account behind its back.
    http = venue_http(sim)
    http.place_order(
        category="linear",
        symbol=SYM,
        side="Buy",
        orderType="Limit",
        qty="0.002",
        price=str(below(mark, "0.96")),
        orderLinkId="outside-1",
    )
    http.place_order(category="linear", symbol=SYM, side="Buy", orderType="Market", qty="0.003")
    await wait_for(lambda: "outside-1" in engine.state.orders and SYM in engine.state.positions, timeout=10)
    assert engine.state.positions[SYM].size == Decimal("0.003")
    states = [(e.stream, e.state) for e in engine.store.drain_events(10_000) if isinstance(e, Connectivity)]
    assert ("private", "resync") in states or ("public", "resync") in states, states
    books = engine.books
    assert books is not None
    await wait_for(lambda: not books.is_stale(SYM), timeout=10)


@OVER_HTTP
async def test_book_gap_marks_stale_blocks_orders_and_resyncs(
    engine: Engine, ready: Ready, wait_for: WaitFor, below: Below
) -> None:
    mark = await ready(engine)
    books, feeds = engine.books, engine.feeds
    assert books is not None and isinstance(feeds, BybitFeeds)
    rebuilt = feeds.reconnects["public"]
    # A delta whose update id skips ahead is exactly what a lost frame looks like on the wire.
    books.delta(BookDelta(SYM, (), (), seq=books.update_id(SYM) + 5, ts_ms=engine.now_ms()))
    assert books.is_stale(SYM)
    blocked = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    assert not blocked.ok and blocked.check == "book_stale"
    await wait_for(lambda: not books.is_stale(SYM), timeout=10)
    # The resubscribed socket has every subscription acknowledged (the book's snapshot comes after
    # the first of them), so nothing is left half-built when the engine stops.
    await wait_for(lambda: feeds.reconnects["public"] > rebuilt, what="the public socket resubscribed")
    ok = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark)))
    assert ok.ok, ok.message


async def test_daily_loss_breaker_blocks_increase_allows_reduce(
    venue: VenueUnderTest, tmp_path: Path, ready: Ready, wait_for: WaitFor
) -> None:
    engine = venue.engine(venue.settings(tmp_path, breakers={"daily_loss_limit": "3"}))
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


@pytest.mark.symbols("BTCUSDT", "ETHUSDT")
async def test_panic_flattens_under_faults(
    sim: SimVenueThread,
    http_venue: VenueUnderTest,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    fast_retry_policy: RetryPolicy,
    ready: Ready,
    wait_for: WaitFor,
    below: Below,
) -> None:
    engine = Engine(engine_settings(sim, tmp_path), retry_policy=fast_retry_policy)
    await engine.start()
    try:
        await _panic_under_faults(engine, sim, http_venue, ready, wait_for, below)
    finally:
        await engine.stop()


async def _panic_under_faults(
    engine: Engine, sim: SimVenueThread, venue: VenueUnderTest, ready: Ready, wait_for: WaitFor, below: Below
) -> None:
    mark = await ready(engine)
    for sym, qty in (("BTCUSDT", "0.05"), ("ETHUSDT", "0.5")):
        await ready(engine, sym)
        assert (await engine.place(OrderRequest(sym, Side.BUY, Decimal(qty), OrderType.MARKET))).ok
    buy = OrderRequest(SYM, Side.BUY, Decimal("0.001"), OrderType.LIMIT, below(mark))
    sell = OrderRequest(SYM, Side.SELL, Decimal("0.001"), OrderType.LIMIT, below(mark, "1.03"))
    assert (await engine.place(buy)).ok and (await engine.place(sell)).ok
    await wait_for(lambda: len(engine.state.positions) == 2)
    sim.set_faults("rate_limit=0.3,rate_hold_ms=100,http5xx=0.2,seed=11")
    report = await engine.panic()
    sim.set_faults("")
    assert report.flat, report.steps
    assert venue.open_orders() == []
    assert venue.positions() == []
    steps = [r.data["step"] for r in engine.journal.query(kinds=["panic_step"])]
    assert steps[0] == "start" and steps[-1] == "done"
