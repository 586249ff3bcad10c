"""The in-process venue's bar mode (a backtest's streams): what one bar's drive publishes."""

from __future__ import annotations

from decimal import Decimal

from core.clock import FrozenClock
from core.model import Ticker
from core.sim.book import ASK, SideBook
from core.venues.base import BookSnapshot, FeedTiming
from core.venues.simulated import SimulatedVenue
from tests.support.recording_sink import RecordingSink

SYM = "BTCUSDT"
MINUTE_MS = 60_000


def _driven(bar_mode: bool) -> tuple[SimulatedVenue, RecordingSink, FrozenClock]:
    clock = FrozenClock()
    venue = SimulatedVenue(clock, seed=3, symbols=(SYM,))
    if bar_mode:
        venue.bars.set_bar_mode(True)
    sink = RecordingSink()
    feeds = venue.feeds((SYM,), sink, FeedTiming())
    feeds.start()
    sink.events.clear()
    return venue, sink, clock


def test_bar_mode_publishes_the_top_of_book_and_prices_only() -> None:
    venue, sink, clock = _driven(True)
    venue.bars.drive(SYM, 61_234.5, clock.now_ms() + MINUTE_MS)
    kinds = {k for k, _ in sink.events}
    assert kinds == {"book_snapshot", "ticker"}  # no trades, no candles, no deep deltas
    (book,) = sink.of("book_snapshot")
    assert isinstance(book, BookSnapshot)
    assert len(book.bids) == len(book.asks) == 1
    assert book.bids[0][0] <= 61_234.5 <= book.asks[0][0]
    (ticker,) = sink.of("ticker")
    assert isinstance(ticker, Ticker)
    assert abs(ticker.last_price - Decimal("61234.5")) <= Decimal("0.1")
    assert abs(ticker.mark_price - Decimal("61234.5")) <= Decimal("0.1")
    assert ticker.bid1 == Decimal(str(book.bids[0][0]))


def test_bar_mode_moves_the_market_as_the_full_streams_do() -> None:
    """Same seed, same drives: the book the venue holds and the fills do not depend on the mode."""
    books = []
    for mode in (False, True):
        venue, sink, clock = _driven(mode)
        for n, px in enumerate((61_000.0, 61_050.5, 60_990.0), start=1):
            venue.bars.drive(SYM, px, clock.now_ms() + n * MINUTE_MS)
        books.append(venue.orderbook(SYM, 50))
        assert any(k == "candle" for k, _ in sink.events) is not mode
    assert books[0].bids == books[1].bids
    assert books[0].asks == books[1].asks


def test_side_replace_is_the_whole_side_and_tells_watchers_old_and_new_levels() -> None:
    side = SideBook(ASK)
    for tick, lots in ((105, 1), (101, 2), (103, 3)):
        side.set(tick, lots)
    seen: set[int] = set()
    side.watchers.append(seen)
    side.replace([(110, 4), (108, 5)])
    assert side.best() == 108
    assert side.top(5) == [(108, 5), (110, 4)]
    assert seen == {101, 103, 105, 108, 110}
