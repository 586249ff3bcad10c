"""The display book (1,000 levels a side) is sorted when a reader asks, not on every push.

Before, every ``orderbook.1000`` push of every symbol sorted both sides into float levels and put
them in the store, on the feed's thread (on the in-process venue: inside the market step, ahead of
the algos' reaction to the same step). The ladder reads one symbol's levels; the others' were
sorted for nobody. Now the store asks the keeper, which sorts a book only when it changed since
its last read."""

from __future__ import annotations

import pytest

from core.market import orderbook
from core.market.books import BookKeeper
from core.store import MarketStore
from core.venues.base import BookDelta, BookSnapshot

SYM = "BTCUSDT"
DEPTH = 1000


def _keeper() -> tuple[BookKeeper, MarketStore]:
    store = MarketStore()
    books = BookKeeper((SYM, "ETHUSDT"), store, now_ms=lambda: 1_000_000, publish_interval_s=0.0)
    return books, store


def _snapshot(u: int) -> BookSnapshot:
    bids = tuple((100.0 - i / 10, 1.0) for i in range(5))
    asks = tuple((101.0 + i / 10, 2.0) for i in range(5))
    return BookSnapshot(SYM, bids, asks, u, 1, depth=DEPTH)


def _delta(u: int, px: float, size: float) -> BookDelta:
    return BookDelta(SYM, ((px, size),), (), u, 2, depth=DEPTH)


def test_pushes_sort_nothing_until_a_reader_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    sorts: list[int] = []
    top = orderbook.OrderBook.top

    def counted(self: orderbook.OrderBook, n: int = 10) -> object:
        if n == DEPTH:
            sorts.append(n)
        return top(self, n)

    monkeypatch.setattr(orderbook.OrderBook, "top", counted)
    books, store = _keeper()
    version = store.version
    books.snapshot(_snapshot(1))
    for u in range(2, 50):
        books.delta(_delta(u, 99.0 - u / 100, 1.0))
    assert sorts == []  # 49 pushes, nobody read: nothing sorted (one sort per push before)
    assert store.version > version  # but readers of the store's version know something changed
    depth = store.depth(SYM)
    assert depth is not None and depth.update_id == 49 and len(depth.bids) == 5 + 48
    assert store.depth(SYM) is depth and sorts == [DEPTH]  # unchanged: the same levels, no sort
    books.delta(_delta(50, 100.0, 0.0))  # the best bid leaves
    after = store.depth(SYM)
    assert after is not None and after.update_id == 50 and after.bids[0][0] == 99.9
    assert sorts == [DEPTH, DEPTH]


def test_a_stale_display_book_reads_as_stale_and_a_snapshot_brings_it_back() -> None:
    books, store = _keeper()
    books.snapshot(_snapshot(1))
    assert (read := store.depth(SYM)) is not None and not read.stale
    books.delta(_delta(5, 99.0, 1.0))  # a gap: 2..4 missing
    stale = store.depth(SYM)
    assert stale is not None and stale.stale and stale.bids == () and stale.asks == ()
    books.snapshot(_snapshot(9))
    back = store.depth(SYM)
    assert back is not None and not back.stale and back.update_id == 9 and len(back.bids) == 5


def test_a_symbol_without_a_display_book_reads_none() -> None:
    store = MarketStore()
    BookKeeper((SYM,), store, now_ms=lambda: 0, display_depth=0)
    assert store.depth(SYM) is None
