"""The engine's local order books, kept from any venue's book snapshots and deltas.

Venue-neutral: a venue's feeds deliver :class:`~core.venues.base.BookSnapshot` and
:class:`~core.venues.base.BookDelta` events (through the engine's feed sink), and this keeper
applies them to one :class:`~core.market.orderbook.OrderBook` per symbol with the sequence checks:

* a delta whose ``seq`` does not follow the previous update's (a gap, a repeat), a delta before
  any snapshot or a crossed book marks the book *stale*, as does a frame the venue's adapter could
  not read (:meth:`BookKeeper.mark_stale`); the keeper reports it (``book:<symbol>`` ``stale``)
  once and asks the feeds for a fresh snapshot (``resubscribe``), once until that snapshot arrives;
* a snapshot makes the book trusted again (``book:<symbol>`` ``up``);
* a book that hears nothing for ``stale_after_s`` is marked stale by :meth:`BookKeeper.check`.

Levels are :data:`~core.venues.base.BookLevels`: floats the adapter has already checked (the one
place a level is validated), handed to the book as they are.

The book view is published to the :class:`~core.store.MarketStore` at most every
``publish_interval_s`` (the UI drains the store at 10-20 Hz; more is wasted work); a book changed
since its last publication is published by the next :meth:`BookKeeper.check`.

Runs on the feed's thread (deltas, snapshots) and the watchdog's (checks) while the loop reads
ages and staleness: every state change happens under one lock held for the length of one update.
Nothing here blocks or raises into the feed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from core.market.orderbook import OrderBook

if TYPE_CHECKING:
    from core.store import MarketStore
    from core.venues.base import BookDelta, BookSnapshot

log = logging.getLogger(__name__)

BOOK_DEPTH = 50
"""Levels kept per side and published."""

StateReport = Callable[[str, str, str], None]
"""``(stream, state, detail)``: a book's state changed (``book:<symbol>``, ``stale``/``up``)."""


def _nothing(_symbol: str) -> None:
    """No feeds to ask yet."""


def _no_state(_stream: str, _state: str, _detail: str) -> None:
    """Nobody listening yet."""


class BookKeeper:
    """One order book per symbol, kept from a venue's snapshots and deltas."""

    def __init__(
        self,
        symbols: tuple[str, ...],
        store: MarketStore,
        *,
        now_ms: Callable[[], int],
        on_state: StateReport | None = None,
        stale_after_s: float = 5.0,
        publish_interval_s: float = 0.05,
        depth: int = BOOK_DEPTH,
    ) -> None:
        self.store = store
        self.symbols = symbols
        self.books: dict[str, OrderBook] = {s: OrderBook(s, depth) for s in symbols}
        self.depth = depth
        self.stale_after_s = stale_after_s
        self.publish_interval_s = publish_interval_s
        self.resubscribe: Callable[[str], None] = _nothing
        """Asks the venue's feeds for a fresh snapshot of a symbol (set once the feeds exist)."""
        self._now_ms = now_ms
        self.on_state: StateReport = on_state or _no_state
        """Told each change of a book's trust (``book:<symbol>``, ``stale``/``up``, why)."""
        self.on_update: Callable[[str], None] = _nothing
        """Told the symbol after every update applied to its book, on the feed's thread, before
        any publication throttle (the algo runner's market trigger); it must not block."""
        self._lock = threading.Lock()
        self._last_msg_ms: dict[str, int] = {}
        self._last_pub: dict[str, float] = dict.fromkeys(symbols, 0.0)
        self._dirty: set[str] = set()
        self._asked: set[str] = set()

    # --- feed thread ---------------------------------------------------------------------------
    def snapshot(self, snap: BookSnapshot) -> None:
        """Replace ``snap.symbol``'s book (a trusted book again unless it is crossed)."""
        book = self.books.get(snap.symbol)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            ok = book.apply_snapshot(snap.bids, snap.asks, snap.seq, snap.cross_seq, snap.ts_ms)
            self._last_msg_ms[snap.symbol] = self._now_ms()
            self._asked.discard(snap.symbol)
        self._after(book, ok, was_stale)

    def delta(self, delta: BookDelta) -> None:
        """Apply changed levels; a gap or a delta on a stale book asks for a fresh snapshot."""
        book = self.books.get(delta.symbol)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            ok = book.apply_delta(delta.bids, delta.asks, delta.seq, delta.cross_seq, delta.ts_ms)
            self._last_msg_ms[delta.symbol] = self._now_ms()
        self._after(book, ok, was_stale)

    def mark_stale(self, symbol: str, reason: str) -> None:
        """Stop trusting ``symbol``'s book (the venue sent something unusable for it)."""
        book = self.books.get(symbol)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            book.mark_stale(reason)
        self._after(book, False, was_stale)

    def _after(self, book: OrderBook, ok: bool, was_stale: bool) -> None:
        symbol = book.symbol
        if not ok:
            if not was_stale:
                self.on_state(f"book:{symbol}", "stale", book.stale_reason)
            self._ask(symbol)
        elif was_stale and not book.stale:
            self.on_state(f"book:{symbol}", "up", "resynced from snapshot")
        if ok:
            self.on_update(symbol)
        now = time.monotonic()
        if now - self._last_pub[symbol] >= self.publish_interval_s:
            self._publish(symbol)
            self._last_pub[symbol] = now
        else:
            self._dirty.add(symbol)

    def _ask(self, symbol: str) -> None:
        """Ask for a fresh snapshot, once until one arrives."""
        with self._lock:
            if symbol in self._asked:
                return
            self._asked.add(symbol)
        try:
            self.resubscribe(symbol)
        except Exception:  # the watchdog's silence check asks again; the feed thread goes on
            log.exception("asking for a fresh %s book failed", symbol)
            with self._lock:
                self._asked.discard(symbol)

    def _publish(self, symbol: str) -> None:
        with self._lock:
            view = self.books[symbol].view(self.depth)
            self._dirty.discard(symbol)
        self.store.put_book(view)

    # --- watchdog --------------------------------------------------------------------------------
    def check(self) -> None:
        """Publish books changed since their last publication; mark silent books stale."""
        now_ms = self._now_ms()
        stale_after_ms = int(self.stale_after_s * 1000)
        for symbol in self.symbols:
            if symbol in self._dirty:
                self._publish(symbol)
            last = self._last_msg_ms.get(symbol)
            book = self.books[symbol]
            if last is None or now_ms - last <= stale_after_ms or book.stale:
                continue
            with self._lock:
                book.mark_stale(f"no book update for {(now_ms - last) / 1000:.1f}s")
                self._asked.discard(symbol)  # a silent book may have lost its request: ask again
            self._publish(symbol)
            self.on_state(f"book:{symbol}", "stale", book.stale_reason)
            self._ask(symbol)

    # --- readers (any thread) ------------------------------------------------------------------
    def feed_ages_s(self) -> dict[str, float]:
        """Seconds since the last book message per symbol (symbols never heard from are absent)."""
        now = self._now_ms()
        with self._lock:
            return {s: (now - t) / 1000 for s, t in self._last_msg_ms.items()}

    def is_stale(self, symbol: str) -> bool:
        """True when the symbol's book is not to be trusted (gap, silence, never received)."""
        with self._lock:
            book = self.books.get(symbol)
            return book is None or book.stale or symbol not in self._last_msg_ms

    def stale_reason(self, symbol: str) -> str:
        """Why ``symbol``'s book is stale (``""`` when it is trusted or unknown)."""
        with self._lock:
            book = self.books.get(symbol)
            return book.stale_reason if book is not None and book.stale else ""

    def touch(self, symbol: str) -> tuple[float | None, float | None]:
        """The live best bid and ask of ``symbol``'s book (unthrottled; (None, None) unknown)."""
        with self._lock:
            book = self.books.get(symbol)
            return (book.best_bid, book.best_ask) if book is not None else (None, None)

    def update_id(self, symbol: str) -> int:
        """The venue's sequence of the last update applied to ``symbol``'s book (0 before any)."""
        with self._lock:
            book = self.books.get(symbol)
            return book.update_id if book is not None else 0
