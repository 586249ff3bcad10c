"""Fuzz the WebSocket frame handlers: the feed's public handler and the engine's private pushes.

Frames go to :meth:`BybitFeeds._on_public_msg` / ``_on_private_msg`` (what pybit calls with each
parsed frame), which deliver domain events to the engine's feed sink: market data into the store
and the book keeper, account pushes to the engine's loop (drained here as the loop would). Frames
are realistic ones with fields spoiled, missing or of the wrong type, topics of symbols we never
subscribed, records of another symbol than their topic, and ``data`` that is not an array. The
handlers must never raise (pybit would close the socket for good), every drop must be counted by
the bad-data tracker, and the state they keep must stay sound: finite numbers, books never crossed
while trusted, nothing kept for symbols we do not trade, a position never flipped or flattened by
a push that could not be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.account import AccountState
from core.config import load_settings
from core.engine import Engine
from core.engine.feed_sink import EngineFeedSink
from core.market.books import BookKeeper
from core.market.candles import TIMEFRAMES
from core.model import Balance, Fill, Order, Position, Side
from core.observability.baddata import BadDataTracker
from core.store import MarketStore
from core.venues.base import FeedTiming
from core.venues.bybit import parse
from core.venues.bybit.feeds import BybitFeeds
from core.venues.values import BadValue
from tests.support.fuzz_records import EXECUTION, KLINE, ORDER, POSITION, TICKER, WALLET
from tests.support.fuzzing import assert_sound, junk, mutated

SYMBOLS = ("BTCUSDT", "ETHUSDT")
BOOK = {"s": "BTCUSDT", "b": [["95000.0", "1.5"]], "a": [["95000.5", "2"]], "u": 7, "seq": 70}
TRADE = {"T": 1767225600000, "s": "BTCUSDT", "S": "Buy", "v": "0.01", "p": "95000.5", "i": "t-1"}


@dataclass
class Account:
    """The engine's side of account events, recorded (and the loop's failures, which must be none)."""

    applied: list[object] = field(default_factory=list)

    def apply_order(self, order: Order) -> None:
        self.applied.append(order)

    def apply_fill(self, fill: Fill) -> None:
        self.applied.append(fill)

    def apply_position(self, position: Position) -> None:
        self.applied.append(position)

    def apply_balance(self, balance: Balance) -> None:
        self.applied.append(balance)

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        self.applied.append((stream, state, detail))


@dataclass
class Rig:
    feeds: BybitFeeds
    store: MarketStore
    loop: asyncio.AbstractEventLoop
    failures: list[object]

    def drain(self) -> None:
        """Run what the feed handed to the loop, as the loop would."""
        self.loop.run_until_complete(asyncio.sleep(0))
        assert self.failures == []


@contextmanager
def rig(
    account: Any = None, store: MarketStore | None = None, bad_data: BadDataTracker | None = None
) -> Iterator[Rig]:
    """The Bybit feeds delivering into the engine's sink (the sockets are never built)."""
    loop = asyncio.new_event_loop()
    failures: list[object] = []
    loop.set_exception_handler(lambda _loop, ctx: failures.append(ctx))
    store = store or MarketStore()
    books = BookKeeper(SYMBOLS, store, now_ms=lambda: 1767225600000, publish_interval_s=0.0)
    sink = EngineFeedSink(store, books, account or Account(), loop)
    books.on_state = sink.hand_state
    feeds = BybitFeeds(
        load_settings(metrics={"enabled": False}),
        SYMBOLS,
        sink,
        FeedTiming(),
        bad_data or BadDataTracker(),
        now_ms=lambda: 1767225600000,
    )
    books.resubscribe = feeds.resubscribe_book
    try:
        yield Rig(feeds, store, loop, failures)
    finally:
        loop.close()


@st.composite
def public_frame(draw: st.DrawFn) -> Any:
    symbol = draw(st.sampled_from([*SYMBOLS, "BTCUSDT", "DOGEUSDT"]))
    kind = draw(st.sampled_from(["orderbook", "tickers", "publicTrade", "kline", "control", "junk"]))
    if kind == "control":
        return {"op": draw(st.sampled_from(["subscribe", "pong", junk])), "success": draw(junk)}
    if kind == "junk":
        return {"topic": draw(junk), "data": draw(junk)}
    if kind == "orderbook":
        topic, data = f"orderbook.50.{symbol}", draw(mutated({**BOOK, "s": symbol}))
    elif kind == "tickers":
        topic, data = f"tickers.{symbol}", draw(mutated({**TICKER, "symbol": symbol}))
    elif kind == "publicTrade":
        topic, data = f"publicTrade.{symbol}", [draw(mutated({**TRADE, "s": symbol}, ("s",)))]
    else:
        interval = draw(st.sampled_from(["1", "5", "15", "60", "3"]))
        topic, data = f"kline.{interval}.{symbol}", [draw(mutated(KLINE))]
    if draw(st.integers(0, 20)) == 0:
        data = draw(junk)  # data of the wrong type altogether
    frame = {"topic": topic, "type": draw(st.sampled_from(["snapshot", "delta"])), "ts": 1767225600000}
    frame["data"] = data
    return frame


def check_store(r: Rig) -> None:
    store = r.store
    assert set(store.tickers()) <= set(SYMBOLS)
    assert set(r.feeds._ticker_state) <= set(SYMBOLS)
    for sym in SYMBOLS:
        assert_sound(store.ticker(sym), f"ticker {sym}")
        assert_sound(store.trades(sym), f"trades {sym}")
        for tf in TIMEFRAMES:
            assert_sound(store.candles(sym, tf), f"candles {sym} {tf}")
        view = store.book(sym)
        if view is not None:
            assert_sound(view, f"book {sym}")
            if not view.stale and view.bids and view.asks:
                assert view.bids[0].price < view.asks[0].price
    assert store.trades("DOGEUSDT") == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(public_frame(), min_size=1, max_size=12))
def test_public_frames_never_raise_and_keep_the_store_sound(frames: list[Any]) -> None:
    with rig() as r:
        for frame in frames:
            r.feeds._on_public_msg(frame)  # raises nothing: pybit would close the socket
            check_store(r)
        r.drain()
        assert r.feeds.callback_errors == 0


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["order", "execution", "position", "wallet", "greeks"]), junk)
def test_private_frames_with_any_data_never_raise(topic: str, data: Any) -> None:
    account = Account()
    with rig(account) as r:
        r.feeds._on_private_msg({"topic": topic, "data": data})
        r.feeds._on_private_msg({"topic": data, "data": []})
        r.drain()
        assert r.feeds.callback_errors == 0
    # Only whole domain objects reach the engine: the adapter parsed them, or dropped them.
    assert all(isinstance(a, (Order, Fill, Position, Balance)) for a in account.applied)


@pytest.mark.parametrize(
    ("frame", "stream", "field"),
    [
        # Before the fix each of these raised inside the callback (dropped without a metric) or,
        # for the symbol mismatches, stored another symbol's data under the topic's name.
        ({"topic": "publicTrade.BTCUSDT", "data": [{**TRADE, "S": "Hold"}]}, "publicTrade.BTCUSDT", "S"),
        ({"topic": "publicTrade.BTCUSDT", "data": [{**TRADE, "T": "later"}]}, "publicTrade.BTCUSDT", "T"),
        ({"topic": "publicTrade.BTCUSDT", "data": [{**TRADE, "s": "ETHUSDT"}]}, "publicTrade.BTCUSDT", "s"),
        ({"topic": "publicTrade.BTCUSDT", "data": {"p": "1"}}, "publicTrade.BTCUSDT", "data"),
        ({"topic": "tickers.BTCUSDT", "type": "snapshot", "data": ["x"]}, "tickers.BTCUSDT", "data"),
        (
            {"topic": "tickers.BTCUSDT", "type": "snapshot", "data": {**TICKER, "symbol": "ETHUSDT"}},
            "tickers.BTCUSDT",
            "symbol",
        ),
        (
            {"topic": "tickers.BTCUSDT", "type": "snapshot", "ts": "x", "data": TICKER},
            "tickers.BTCUSDT",
            "ts",
        ),
        ({"topic": "kline.1.BTCUSDT", "data": [{**KLINE, "close": "NaN"}]}, "kline.1.BTCUSDT", "close"),
        ({"topic": "kline.1.BTCUSDT", "data": [{**KLINE, "start": None}]}, "kline.1.BTCUSDT", "start"),
        ({"topic": 5, "data": []}, "ws public", "topic"),
    ],
)
def test_a_malformed_public_frame_is_counted_and_dropped(
    frame: dict[str, Any], stream: str, field: str
) -> None:
    with rig() as r:
        seen: list[tuple[str, str]] = []
        r.feeds.bad_data.on_bad = lambda s, f: seen.append((s, f))
        r.feeds._on_public_msg(frame)
        assert seen == [(stream, field)]
        assert stream in r.feeds.bad_data.recent()
        check_store(r)


def test_a_bad_book_frame_is_counted_and_the_book_marked_stale_until_a_snapshot() -> None:
    """An update the adapter cannot read is a lost update: the book is not trusted, and a fresh
    snapshot is asked for (the public socket is rebuilt at the next watchdog check)."""
    with rig() as r:
        seen: list[tuple[str, str]] = []
        r.feeds.bad_data.on_bad = lambda s, f: seen.append((s, f))
        topic = "orderbook.50.BTCUSDT"
        r.feeds._on_public_msg({"topic": topic, "type": "snapshot", "ts": 1, "data": BOOK})
        view = r.store.book("BTCUSDT")
        assert view is not None and not view.stale
        delta = {**BOOK, "u": 8, "b": [["NaN", "1"]]}
        r.feeds._on_public_msg({"topic": topic, "type": "delta", "ts": 2, "data": delta})
        assert seen == [("orderbook.BTCUSDT", "bid price")]
        view = r.store.book("BTCUSDT")
        assert view is not None and view.stale and view.update_id == 7  # nothing of it applied
        assert "public" in r.feeds._rebuild
        r.feeds._on_public_msg({"topic": topic, "type": "snapshot", "ts": 3, "data": {**BOOK, "u": 20}})
        view = r.store.book("BTCUSDT")
        assert view is not None and not view.stale and view.update_id == 20
        r.drain()


def test_a_delta_with_u_1_is_a_whole_book_as_bybit_documents() -> None:
    """Bybit: u == 1 means the service restarted and the message is a snapshot."""
    with rig() as r:
        topic = "orderbook.50.BTCUSDT"
        r.feeds._on_public_msg({"topic": topic, "type": "snapshot", "ts": 1, "data": BOOK})
        restart = {"s": "BTCUSDT", "b": [["94000.0", "1"]], "a": [["94000.5", "1"]], "u": 1, "seq": 5}
        r.feeds._on_public_msg({"topic": topic, "type": "delta", "ts": 2, "data": restart})
        view = r.store.book("BTCUSDT")
        assert view is not None and not view.stale and view.update_id == 1
        assert [lv.price for lv in view.bids] == [Decimal("94000.0")]  # replaced, not merged
        assert "public" not in r.feeds._rebuild
        r.drain()


def test_tickers_of_symbols_we_do_not_trade_keep_no_state() -> None:
    """Before the fix every symbol a venue named got a merge state and a store entry, unbounded."""
    with rig() as r:
        for i in range(50):
            r.feeds._on_public_msg(
                {"topic": f"tickers.X{i}USDT", "type": "snapshot", "data": {**TICKER, "symbol": f"X{i}"}}
            )
        assert r.feeds._ticker_state == {} and r.store.tickers() == {}


# --- private pushes through the engine ----------------------------------------------------------


@contextmanager
def idle_engine(path: Path) -> Iterator[Engine]:
    """An engine that is not started: pushes arrive through the feeds and are applied as the loop
    applies them."""
    eng = Engine(load_settings(journal={"path": str(path / "j.db")}, metrics={"enabled": False}))
    try:
        yield eng
    finally:
        eng.journal.close()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine that is not started (see :func:`idle_engine`)."""
    with idle_engine(tmp_path) as eng:
        yield eng


PUSHES: dict[str, dict[str, Any]] = {
    "order": ORDER,
    "execution": EXECUTION,
    "position": POSITION,
    "wallet": WALLET,
}


@st.composite
def pushes(draw: st.DrawFn) -> tuple[str, list[Any]]:
    topic = draw(st.sampled_from(sorted(PUSHES)))
    items = draw(st.lists(mutated(PUSHES[topic], ("category",)), min_size=1, max_size=3))
    return topic, items


def push(engine: Engine, topic: str, items: Any) -> None:
    """A private frame as pybit hands it to the feeds, applied by the engine on its loop."""
    with rig(engine.streams.events, engine.store, engine.bad_data) as r:
        r.feeds._on_private_msg({"topic": topic, "data": items})
        r.drain()
        assert r.feeds.callback_errors == 0


def sound_account(engine: Engine) -> None:
    state = engine.state
    assert_sound(state.balance, "balance")
    for sym, pos in state.positions.items():
        assert_sound(pos, f"position {sym}")
        assert pos.size > 0 and pos.side is not None
    for key, order in state.orders.items():
        assert key and order.is_open
        assert_sound(order, f"order {key}")
    assert_sound(list(state.fills), "fills")
    assert state.realised_today.is_finite() and state.fees_today.is_finite()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(pushes(), min_size=1, max_size=8))
def test_private_pushes_are_adopted_sound_or_dropped_and_counted(
    tmp_path: Path, stream: list[tuple[str, list[Any]]]
) -> None:
    with idle_engine(tmp_path) as engine:  # a fresh engine per example: each starts from one account
        _adopted_sound_or_dropped(engine, stream)


def _adopted_sound_or_dropped(engine: Engine, stream: list[tuple[str, list[Any]]]) -> None:
    engine.state.apply_position(_short(), 0)  # the account holds a short; spoiled pushes must not flip it
    readable = AccountState()
    readable.apply_position(_short(), 0)
    for topic, items in stream:
        push(engine, topic, items)
        sound_account(engine)
        if topic == "position":  # exactly the pushes that can be read are adopted
            for item in items:
                if isinstance(item, dict) and item.get("category", "linear") != "linear":
                    continue  # another product's push: not ours
                try:
                    readable.apply_position(parse.position(item, lambda bad: None), 0)
                except BadValue:
                    continue
            assert engine.state.positions == readable.positions


def _short() -> Position:
    return parse.position(dict(POSITION, updatedTime="1"))


@pytest.mark.parametrize(
    ("topic", "item", "field"),
    [
        # Before the fix: AttributeError on a non-object item (logged as an engine failure, no
        # metric); a side of "Short" or a garbled size took the short for flat; "isMaker": "false"
        # became a maker fill; a fill without execId made every later one look like a duplicate.
        ("position", ["not", "an", "object"], "position"),
        ("position", {**POSITION, "side": "Short"}, "side"),
        ("position", {**POSITION, "size": "-0.02"}, "size"),
        ("execution", {**EXECUTION, "execId": ""}, "execId"),
        ("order", {**ORDER, "createdTime": "yesterday"}, "createdTime"),
        ("wallet", {**WALLET, "coin": "USDT"}, "coin"),
    ],
)
def test_a_bad_push_is_dropped_by_field_and_the_position_stays(
    engine: Engine, topic: str, item: Any, field: str
) -> None:
    engine.state.apply_position(_short(), 0)
    seen: list[tuple[str, str]] = []
    engine.bad_data.on_bad = lambda s, f: seen.append((s, f))
    push(engine, topic, [item])
    assert seen == [(topic, field)]
    pos = engine.state.positions["BTCUSDT"]
    assert pos.side is Side.SELL and pos.size == Decimal("0.020")


def test_an_execution_with_a_bad_maker_flag_is_kept_and_reported(engine: Engine) -> None:
    push(engine, "execution", [{**EXECUTION, "isMaker": "false"}])
    [fill] = engine.state.fills
    assert fill.is_maker is False and "execution" in engine.bad_data.recent()


def test_duplicate_and_reordered_pushes_change_nothing(engine: Engine) -> None:
    """The same execution twice counts once; an older order push never undoes a newer one."""
    push(engine, "execution", [EXECUTION, EXECUTION])
    assert len(engine.state.fills) == 1
    newer = {**ORDER, "orderStatus": "PartiallyFilled", "cumExecQty": "0.005", "updatedTime": "1767225600009"}
    push(engine, "order", [newer, ORDER])
    assert engine.state.orders["tc-1"].filled_qty == Decimal("0.005")
