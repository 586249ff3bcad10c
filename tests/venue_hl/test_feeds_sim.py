"""The Hyperliquid feeds against the sim over loopback: a fresh book on resubscribe, a socket
rebuilt by the watchdog after the venue drops it, and a callback that raises never ends it."""

from __future__ import annotations

import threading
from typing import Any

from core.model import Side
from core.venues.base import FeedTiming
from core.venues.hyperliquid.rest import HyperliquidVenue
from tests.support.hl_adapter import Sink, limit, passive_buy
from tests.support.hl_sim import HlSim

FAST = FeedTiming(reconnect_backoff_s=(0.05, 0.2))


def test_resubscribe_gives_a_whole_book_on_a_quiet_market(hl: HlSim, venue: HyperliquidVenue) -> None:
    sink = Sink()
    feeds = venue.feeds(("ETHUSDT",), sink, FAST)
    feeds.start()
    try:
        first = sink.wait(lambda k, v: k == "book")
        before = len(first)
        feeds.resubscribe_book("ETHUSDT")  # the market is not stepped: only a resubscribe sends one
        books = sink.wait(lambda k, v: k == "book" and len(sink.events) > 0 and v not in first)
        assert len(books) >= 1 and before >= 1
        assert books[-1].seq > first[-1].seq
    finally:
        feeds.stop()


def test_watchdog_rebuilds_a_dropped_socket(hl: HlSim, venue: HyperliquidVenue) -> None:
    sink = Sink()
    feeds = venue.feeds(("ETHUSDT",), sink, FAST)
    feeds.start()
    try:
        sink.wait(lambda k, v: k == "conn" and v == ("private", "up"))
        assert hl.drop_connections() >= 1
        sink.wait(lambda k, v: k == "conn" and v == ("private", "down"))
        rebuilt = threading.Event()

        def resync(kind: str, value: Any) -> bool:
            return kind == "conn" and value == ("private", "resync")

        while not rebuilt.is_set():  # the engine's watchdog ticks; each tick may rebuild
            feeds.check()
            with sink.cond:
                if sink.cond.wait_for(lambda: any(resync(k, v) for k, v in sink.events), 0.05):
                    rebuilt.set()
        with sink.cond:  # the first connection's "up", then the rebuilt one's
            assert sink.cond.wait_for(lambda: sink.events.count(("conn", ("private", "up"))) == 2, 20.0)
        venue.place(limit(venue, "tc-after", Side.BUY, "0.5", passive_buy(hl, venue)))
        sink.wait(lambda k, v: k == "order" and v.order_link_id == "tc-after")
        assert feeds.is_connected("private")
    finally:
        feeds.stop()


class RaisingSink(Sink):
    """Raises on every book: the feeds must report it and keep delivering the rest."""

    def book_snapshot(self, book: Any) -> None:
        self._add("raised", book)
        raise RuntimeError("a sink bug")


def test_a_raising_callback_never_ends_the_socket(hl: HlSim, venue: HyperliquidVenue) -> None:
    sink = RaisingSink()
    feeds = venue.feeds(("ETHUSDT",), sink, FAST)
    feeds.start()
    try:
        sink.wait(lambda k, v: k == "raised")
        hl.step(2)
        venue.place(limit(venue, "tc-alive", Side.BUY, "0.5", passive_buy(hl, venue)))
        sink.wait(lambda k, v: k == "order" and v.order_link_id == "tc-alive")
        assert feeds.is_connected("public")
    finally:
        feeds.stop()
