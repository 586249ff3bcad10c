"""The display book on the wire: the Bybit feeds (pybit over loopback WebSocket to the sim) stream
``orderbook.1000`` beside ``orderbook.50``; its snapshot and deltas land in the book keeper's
display book with their own sequence checks, the sim's delta stream keeps a whole top-1000 view,
and a gap in it marks only the display book stale until a fresh snapshot comes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.config import SimSettings, load_settings
from core.market.books import BOOK_DEPTH, DISPLAY_DEPTH, BookKeeper
from core.market.candles import Candle
from core.model import Balance, Fill, Order, Position, Ticker, Trade
from core.sim.runner import SimVenueThread
from core.store import MarketStore
from core.venues.base import BookDelta, BookSnapshot, FeedTiming
from core.venues.bybit.feeds import BybitFeeds
from core.venues.bybit.rest import BybitVenue

pytestmark = pytest.mark.timeout(90)

SYM = "BTCUSDT"
TIMING = FeedTiming(reconnect_backoff_s=(0.5, 4.0), ack_timeout_s=10.0)
DELTAS = 5
REFILL_SLACK = 5
"""Levels a side of the sim's book may be short between a trade and the next market step."""
"""Display-book deltas to see before checking the book (the sim pushes one every 200 ms)."""


class _BookSink:
    """Hands book events to a real book keeper and records every event and stream state."""

    def __init__(self, books: BookKeeper) -> None:
        self.books = books
        self.states: list[tuple[str, str, str]] = []
        self.display_events: list[BookSnapshot | BookDelta] = []
        self.changed = threading.Condition()

    def _note(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, cond: Callable[[], bool], timeout: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(cond, timeout)

    def book_snapshot(self, book: BookSnapshot) -> None:
        self.books.snapshot(book)
        if book.depth == DISPLAY_DEPTH:
            self.display_events.append(book)
        self._note()

    def book_delta(self, delta: BookDelta) -> None:
        self.books.delta(delta)
        if delta.depth == DISPLAY_DEPTH:
            self.display_events.append(delta)
        self._note()

    def state(self, stream: str, state: str, detail: str) -> None:
        with self.changed:
            self.states.append((stream, state, detail))
            self.changed.notify_all()

    def connection(self, stream: str, state: str, detail: str) -> None:
        self.state(stream, state, detail)

    def ticker(self, ticker: Ticker) -> None:
        """Not what this test is about."""

    def trade(self, trade: Trade) -> None:
        """Unused."""

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Unused."""

    def order(self, order: Order) -> None:
        """Unused."""

    def fill(self, fill: Fill) -> None:
        """Unused."""

    def position(self, position: Position) -> None:
        """Unused."""

    def balance(self, balance: Balance) -> None:
        """Unused."""


@pytest.fixture(scope="module")
def venue() -> Iterator[SimVenueThread]:
    v = SimVenueThread(SimSettings(port=0, market_rate_hz=50.0)).start()
    yield v
    v.stop()


@pytest.fixture
def feeds(venue: SimVenueThread, tmp_path: Path) -> Iterator[tuple[BybitFeeds, _BookSink, MarketStore]]:
    sim = venue.settings.model_copy(update={"port": venue.port})
    settings = load_settings(sim=sim, journal={"path": str(tmp_path / "j.db")}, metrics={"enabled": False})
    store = MarketStore()
    books = BookKeeper((SYM,), store, now_ms=lambda: 0, publish_interval_s=0.0)
    sink = _BookSink(books)
    books.on_state = sink.state
    feeds = BybitVenue(settings).feeds((SYM,), sink, TIMING)
    assert isinstance(feeds, BybitFeeds)
    books.resubscribe = feeds.resubscribe_book
    feeds.start()
    try:
        yield feeds, sink, store
    finally:
        feeds.stop()


def _deltas(sink: _BookSink) -> int:
    return sum(isinstance(e, BookDelta) for e in sink.display_events)


def test_the_display_books_snapshot_and_deltas_keep_a_whole_top_1000(
    feeds: tuple[BybitFeeds, _BookSink, MarketStore],
) -> None:
    _feeds, sink, store = feeds
    books = sink.books
    assert sink.wait_for(lambda: _deltas(sink) >= DELTAS), f"display events: {len(sink.display_events)}"
    display, trading = books.display[SYM], books.books[SYM]
    assert isinstance(sink.display_events[0], BookSnapshot)
    # one sequence of its own: each delta's update id follows the previous message's
    ids = [e.seq for e in sink.display_events]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    assert not display.stale and display.gaps == 0 and display.deltas >= DELTAS
    assert not trading.stale and trading.gaps == 0
    # the sim deletes what leaves the top 1000 and inserts what enters it: always a whole top 1000
    with books._lock:  # the feed thread keeps applying deltas: read between two of them
        bids, asks = display.levels()
        tb, ta = trading.levels()
    # The sim's generated book keeps about 1000 levels a side: a level a trade takes leaves that
    # side one or two short until the next market step refills it. Whole otherwise (no gap).
    assert DISPLAY_DEPTH - REFILL_SLACK <= len(bids) <= DISPLAY_DEPTH
    assert DISPLAY_DEPTH - REFILL_SLACK <= len(asks) <= DISPLAY_DEPTH
    assert len(tb) == BOOK_DEPTH and len(ta) == BOOK_DEPTH
    assert max(bids) < min(asks)
    depth = store.depth(SYM)
    assert depth is not None and not depth.stale
    assert DISPLAY_DEPTH - REFILL_SLACK <= len(depth.bids) <= DISPLAY_DEPTH
    assert depth.bids[0][0] > depth.bids[-1][0]
    # the trading book stays what the engine trades on: 50 levels, not the display book's
    view = store.book(SYM)
    assert view is not None and len(view.bids) == BOOK_DEPTH


def test_a_gap_in_the_display_book_marks_only_it_stale_until_a_fresh_snapshot(
    feeds: tuple[BybitFeeds, _BookSink, MarketStore],
) -> None:
    live, sink, store = feeds
    books = sink.books
    assert sink.wait_for(lambda: _deltas(sink) >= 1)
    u = books.display[SYM].update_id
    books.delta(BookDelta(SYM, ((1.0, 1.0),), (), u + 5, 0, 0, DISPLAY_DEPTH))
    stream = f"book:{SYM}:{DISPLAY_DEPTH}"
    assert (stream, "stale", f"sequence gap: expected u={u + 1}, got u={u + 5}") in sink.states
    assert books.display[SYM].stale and not books.is_stale(SYM)
    depth = store.depth(SYM)
    assert depth is not None and depth.stale and depth.bids == ()
    snapshots = sum(isinstance(e, BookSnapshot) for e in sink.display_events)
    live.check()  # the watchdog: the keeper asked for a fresh book, the public socket is rebuilt
    assert sink.wait_for(lambda: (stream, "up", "resynced from snapshot") in sink.states), sink.states
    assert sum(isinstance(e, BookSnapshot) for e in sink.display_events) > snapshots
    assert not books.display[SYM].stale
