"""Frames that are not JSON objects, on a real socket through the real pybit client.

A small WebSocket server on 127.0.0.1 acknowledges pybit's subscriptions and auth like Bybit,
then sends what a broken venue or proxy might: a truncated frame, a JSON array, a number, bytes
that are not UTF-8 JSON. pybit decodes frames itself and, when that raises, closes the socket
for good; the feed must instead drop each one with a count and keep the socket, so the next
good snapshot still lands in the book.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiohttp import WSMessage, WSMsgType, web
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import load_settings
from core.engine.feed_sink import EngineFeedSink
from core.market.books import BookKeeper
from core.model import Balance, Fill, Order, Position
from core.observability.baddata import BadDataTracker
from core.store import MarketStore
from core.venues.base import FeedTiming
from core.venues.bybit.feeds import BybitFeeds
from tests.support.ws_loopback import LoopbackWs

SYMBOL = "BTCUSDT"


class WireServer(LoopbackWs):
    """Bybit-like sockets on loopback: subscribe/auth acks, then whatever the test sends."""

    async def on_frame(self, ws: web.WebSocketResponse, msg: WSMessage) -> None:
        if msg.type is not WSMsgType.TEXT:
            return
        req = orjson.loads(msg.data)
        op = req.get("op")
        if op in ("subscribe", "auth"):
            ack = {
                "success": True,
                "ret_msg": "",
                "conn_id": "c1",
                "op": op,
                "req_id": req.get("req_id", ""),
            }
            await ws.send_str(orjson.dumps(ack).decode())
        elif op == "ping":
            await ws.send_str('{"op":"pong","ret_msg":"pong","success":true}')

    def public(self) -> web.WebSocketResponse:
        return next(ws for ws in self.sockets if "public" in str(ws._req.path))  # type: ignore[union-attr]

    def send(self, data: str | bytes) -> None:
        ws = self.public()
        coro = ws.send_bytes(data) if isinstance(data, bytes) else ws.send_str(data)
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)


class NoAccount:
    """This wire carries no account pushes; the test only looks at the book."""

    def apply_order(self, order: Order) -> None:
        raise AssertionError(order)

    def apply_fill(self, fill: Fill) -> None:
        raise AssertionError(fill)

    def apply_position(self, position: Position) -> None:
        raise AssertionError(position)

    def apply_balance(self, balance: Balance) -> None:
        raise AssertionError(balance)

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        """Stream states are not this test's concern."""


Wire = tuple[WireServer, BybitFeeds, BookKeeper]


@pytest.fixture(scope="module")
def wire() -> Iterator[Wire]:
    server = WireServer()
    loop = asyncio.new_event_loop()  # the engine's loop: account events would wait there
    store = MarketStore()
    books = BookKeeper((SYMBOL,), store, now_ms=lambda: 1767225600000, publish_interval_s=0.0)
    sink = EngineFeedSink(store, books, NoAccount(), loop)
    feeds = BybitFeeds(
        load_settings(sim={"port": server.port}, metrics={"enabled": False}),
        (SYMBOL,),
        sink,
        FeedTiming(ack_timeout_s=5.0),
        BadDataTracker(),
    )
    books.resubscribe = feeds.resubscribe_book
    feeds.start()
    try:
        yield server, feeds, books
    finally:
        feeds.stop()
        server.close()
        loop.close()


def snapshot(u: int) -> str:
    data = {"s": SYMBOL, "b": [["95000.0", "1"]], "a": [["95000.5", "2"]], "u": u, "seq": u}
    return orjson.dumps(
        {"topic": f"orderbook.50.{SYMBOL}", "type": "snapshot", "ts": u, "data": data}
    ).decode()


def wait_until(cond: Any, timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if cond():
            return
        done.wait(0.01)
    raise AssertionError("condition not met in time")


_EXAMPLE = itertools.count(1)

GARBAGE = [
    snapshot(5)[:40],  # truncated
    "[1, 2, 3]",
    "42",
    '"just a string"',
    "",
    "{'single': 'quotes'}",
    b"\xff\xfe\x00not utf-8",
]


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(GARBAGE) | st.text(max_size=30) | st.binary(max_size=30), st.integers(2, 10**6))
def test_a_frame_that_is_not_a_json_object_is_dropped_and_the_socket_kept(
    wire: Wire, garbage: str | bytes, u: int
) -> None:
    """Before the fix pybit raised on the first such frame and closed the socket for good."""
    server, feeds, books = wire
    u += next(_EXAMPLE) * 10**7  # unique per example: a repeated u would be "seen" before it lands
    before = feeds.bad_data.total
    server.send(garbage)
    server.send(snapshot(u))
    wait_until(lambda: books.update_id(SYMBOL) == u and not books.is_stale(SYMBOL))
    assert feeds.is_connected("public")
    if garbage != snapshot(u) and not _is_object(garbage):
        assert feeds.bad_data.total > before
        assert "ws public" in feeds.bad_data.recent()


def _is_object(raw: str | bytes) -> bool:
    try:
        return isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return False
