"""The engine's feed sink: market data stored on the feed thread, account events applied on the loop."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal

import pytest

from core.engine.feed_sink import EngineFeedSink
from core.market.books import BookKeeper
from core.market.candles import Candle
from core.model import Balance, Fill, Order, OrderStatus, OrderType, Position, Side, Ticker, Trade
from core.store import MarketStore
from core.venues.base import BookDelta, BookSnapshot

SYM = "BTCUSDT"
D = Decimal


class Account:
    """Records each account event with the thread it was applied on."""

    def __init__(self) -> None:
        self.applied: list[tuple[str, object, int]] = []
        self.done = asyncio.Event()
        self.expect = 0

    def _got(self, kind: str, what: object) -> None:
        self.applied.append((kind, what, threading.get_ident()))
        if len(self.applied) >= self.expect:
            self.done.set()

    def apply_order(self, order: Order) -> None:
        self._got("order", order)

    def apply_fill(self, fill: Fill) -> None:
        self._got("fill", fill)

    def apply_position(self, position: Position) -> None:
        self._got("position", position)

    def apply_balance(self, balance: Balance) -> None:
        self._got("balance", balance)

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        self._got("connection", (stream, state, detail))


ORDER = Order(SYM, Side.BUY, OrderType.LIMIT, D("0.01"), D("95000"), "tc-1", "o-1", OrderStatus.NEW)
FILL = Fill(SYM, Side.BUY, D("0.01"), D("95000"), D("0.5"), "e-1", "o-1", "tc-1", False, 1)
POSITION = Position(SYM, Side.BUY, D("0.01"), D("95000"), D("95010"), D("0.1"))
BALANCE = Balance("USDT", D("1000"), D("1000"), D("900"))


def make(loop: asyncio.AbstractEventLoop) -> tuple[EngineFeedSink, Account, BookKeeper, MarketStore]:
    store = MarketStore()
    books = BookKeeper((SYM,), store, now_ms=lambda: 1, publish_interval_s=0.0)
    account = Account()
    sink = EngineFeedSink(store, books, account, loop)
    books.on_state = sink.hand_state
    return sink, account, books, store


async def test_account_events_from_a_feed_thread_are_applied_on_the_loop_in_order() -> None:
    loop = asyncio.get_running_loop()
    sink, account, _books, _store = make(loop)
    account.expect = 5

    def feed_thread() -> None:
        sink.order(ORDER)
        sink.fill(FILL)
        sink.position(POSITION)
        sink.balance(BALANCE)
        sink.connection("private", "resync", "reconnected")

    thread = threading.Thread(target=feed_thread)
    thread.start()
    # The loop is held here while the feed thread runs: a sink that waited for the loop (as
    # call_from_thread does) would still be waiting when the join gives up.
    thread.join(5)
    assert not thread.is_alive()
    assert account.applied == []  # handed over, not applied on the feed thread
    await asyncio.wait_for(account.done.wait(), 5)
    loop_thread = threading.get_ident()
    assert [(k, w) for k, w, _t in account.applied] == [
        ("order", ORDER),
        ("fill", FILL),
        ("position", POSITION),
        ("balance", BALANCE),
        ("connection", ("private", "resync", "reconnected")),
    ]
    assert {t for _k, _w, t in account.applied} == {loop_thread}


async def test_market_data_is_stored_at_once_on_the_feed_thread() -> None:
    sink, account, books, store = make(asyncio.get_running_loop())

    def feed_thread() -> None:
        sink.ticker(Ticker(SYM, D("95000"), D("95001"), D("95002"), D("94999"), D("95001"), ts_ms=5))
        sink.trade(Trade(SYM, Side.SELL, D("95000"), D("0.5"), 6, "t-1"))
        sink.candle(SYM, "1m", Candle(60_000, 1.0, 2.0, 0.5, 1.5, 10.0))
        sink.book_snapshot(BookSnapshot(SYM, ((100.0, 1.0),), ((101.0, 1.0),), 3, 7))
        sink.book_delta(BookDelta(SYM, ((100.5, 2.0),), (), 4, 8))

    thread = threading.Thread(target=feed_thread)
    thread.start()
    thread.join(5)
    ticker = store.ticker(SYM)
    assert ticker is not None and ticker.mark_price == D("95001")
    assert [t.trade_id for t in store.trades(SYM)] == ["t-1"]
    assert store.candles(SYM, "1m")[0].close == 1.5
    view = store.book(SYM)
    assert view is not None and view.update_id == 4 and view.best_bid == D("100.5")
    assert not books.is_stale(SYM)


async def test_a_book_the_feed_says_is_stale_is_marked_at_once_and_reported_on_the_loop() -> None:
    sink, account, books, _store = make(asyncio.get_running_loop())
    asked: list[str] = []
    books.resubscribe = asked.append
    sink.book_snapshot(BookSnapshot(SYM, ((100.0, 1.0),), ((101.0, 1.0),), 3, 7))
    account.expect = 2  # "up" after the first snapshot, then "stale"
    sink.connection(f"book:{SYM}", "stale", "bad value in frame: bid price 'NaN'")
    assert books.is_stale(SYM) and asked == [SYM]  # before the loop ran at all
    await asyncio.wait_for(account.done.wait(), 5)
    assert [w for _k, w, _t in account.applied] == [
        (f"book:{SYM}", "up", "resynced from snapshot"),
        (f"book:{SYM}", "stale", "bad value in frame: bid price 'NaN'"),
    ]


def test_an_event_after_the_loop_closed_is_dropped_without_raising_into_the_feed() -> None:
    loop = asyncio.new_event_loop()
    sink, account, _books, _store = make(loop)
    loop.close()
    sink.fill(FILL)  # raises nothing: the feed thread goes on
    assert account.applied == []


async def test_an_event_that_fails_to_apply_is_logged_and_the_next_one_applied(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink, account, _books, _store = make(asyncio.get_running_loop())

    def broken(order: Order) -> None:
        raise ArithmeticError(f"cannot apply {order.order_link_id}")

    account.apply_order = broken  # type: ignore[method-assign]
    account.expect = 1
    sink.order(ORDER)
    sink.fill(FILL)
    await asyncio.wait_for(account.done.wait(), 5)
    assert [k for k, _w, _t in account.applied] == ["fill"]
    assert "feed event broken could not be applied" in caplog.text and "cannot apply tc-1" in caplog.text
