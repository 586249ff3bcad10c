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

A *display book* per symbol (``display_depth`` levels, e.g. Bybit's ``orderbook.1000``) can be
kept beside the trading book, from its own stream (events whose ``depth`` is ``display_depth``):
the same sequence checks, staleness and resubscription, reported as ``book:<symbol>:<depth>``. It
feeds only the ladder's coarse price groups, as float :class:`DepthLevels` read through the store
(no Decimal per level: the ladder groups them into the few rows it shows). It is sorted into
levels only when a reader asks (:meth:`BookKeeper.display_levels`, the store's depth source) and
the book changed since: the ladder shows one symbol, so the others' 1,000 levels a side are not
sorted on every push on the feed's thread. The trading book, its
view, its touch and its staleness (what risk, previews and algos use) never depend on it.

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

from core.market.depth import DepthLevels
from core.market.orderbook import OrderBook

if TYPE_CHECKING:
    from core.store import MarketStore
    from core.venues.base import BookDelta, BookSnapshot

log = logging.getLogger(__name__)

BOOK_DEPTH = 50
"""Levels kept per side and published: the trading book (Bybit pushes ``orderbook.50`` every 20 ms)."""
DISPLAY_DEPTH = 1000
"""Levels of the display book (Bybit's ``orderbook.1000``, pushed every 200 ms): enough for the
ladder's coarsest price group (100 ticks) to fill a pane of rows."""
TRADING = 0
"""An event's ``depth`` for the venue's trading book stream."""


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
        display_depth: int = DISPLAY_DEPTH,
    ) -> None:
        """``display_depth`` (0: none) keeps a display book per symbol from the events of that depth; a
        venue that streams no such depth leaves it empty, and nothing is published for it."""
        self.store = store
        self.symbols = symbols
        self.books: dict[str, OrderBook] = {s: OrderBook(s, depth) for s in symbols}
        self.depth = depth
        self.display_depth = display_depth
        self.display: dict[str, OrderBook] = (
            {s: OrderBook(s, display_depth) for s in symbols} if display_depth > 0 else {}
        )
        """The display books (empty without a display depth)."""
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
        self._last_pub: dict[str, float] = dict.fromkeys(symbols, float("-inf"))
        """When each book was last published (monotonic s; never: the first is published at once,
        however recently the machine started)."""
        self._dirty: set[str] = set()
        self._asked: set[str] = set()
        self._display_msg_ms: dict[str, int] = {}
        self._display_levels: dict[str, tuple[int, DepthLevels]] = {}
        """The last levels read per display book, with the book's change count they were read at."""
        self._display_changes: dict[str, int] = dict.fromkeys(self.display, 0)
        """Per display book, how many times it changed (a delta, a snapshot, marked stale)."""
        if self.display:
            store.set_depth_source(self.display_levels)

    # --- feed thread ---------------------------------------------------------------------------
    def _book_of(self, symbol: str, depth: int) -> OrderBook | None:
        """The book an event of ``depth`` updates (None: not a book of ours)."""
        if depth == TRADING or depth == self.depth:
            return self.books.get(symbol)
        if depth == self.display_depth:
            return self.display.get(symbol)
        return None

    def snapshot(self, snap: BookSnapshot) -> None:
        """Replace ``snap.symbol``'s book (a trusted book again unless it is crossed)."""
        book = self._book_of(snap.symbol, snap.depth)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            ok = book.apply_snapshot(snap.bids, snap.asks, snap.seq, snap.cross_seq, snap.ts_ms)
            self._heard(book)
            self._asked.discard(self._stream(book))
        self._after(book, ok, was_stale)

    def delta(self, delta: BookDelta) -> None:
        """Apply changed levels; a gap or a delta on a stale book asks for a fresh snapshot."""
        book = self._book_of(delta.symbol, delta.depth)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            ok = book.apply_delta(delta.bids, delta.asks, delta.seq, delta.cross_seq, delta.ts_ms)
            self._heard(book)
        self._after(book, ok, was_stale)

    def _heard(self, book: OrderBook) -> None:
        """Note a message for ``book`` (under the lock)."""
        if self.display.get(book.symbol) is book:
            self._display_msg_ms[book.symbol] = self._now_ms()
        else:
            self._last_msg_ms[book.symbol] = self._now_ms()

    def _is_display(self, book: OrderBook) -> bool:
        return self.display.get(book.symbol) is book

    def _stream(self, book: OrderBook) -> str:
        """``book:<symbol>`` for a trading book, ``book:<symbol>:<depth>`` for a display book."""
        return f"book:{book.symbol}:{book.depth}" if self._is_display(book) else f"book:{book.symbol}"

    def mark_stale(self, symbol: str, reason: str) -> None:
        """Stop trusting ``symbol``'s book (the venue sent something unusable for it); a display
        book is named as in its stream, ``<symbol>:<depth>``."""
        name, _, depth = symbol.partition(":")
        book = self._book_of(name, int(depth) if depth.isdigit() else TRADING)
        if book is None:
            return
        with self._lock:
            was_stale = book.stale
            book.mark_stale(reason)
        self._after(book, False, was_stale)

    def _after(self, book: OrderBook, ok: bool, was_stale: bool) -> None:
        symbol = book.symbol
        display = self.display.get(symbol) is book
        if not ok or was_stale:
            self._report(book, ok, was_stale, display)
        if display:
            self._after_display(symbol)
            return
        if ok:
            self.on_update(symbol)
        now = time.monotonic()
        if now - self._last_pub[symbol] >= self.publish_interval_s:
            self._publish(symbol)
            self._last_pub[symbol] = now
        else:
            self._dirty.add(symbol)

    def _report(self, book: OrderBook, ok: bool, was_stale: bool, display: bool) -> None:
        """A change of trust: stale (and ask for a snapshot) or up again."""
        stream = self._stream(book)
        if not ok:
            if not was_stale:
                self.on_state(stream, "stale", book.stale_reason)
            self._ask(stream, book.symbol)
        elif not book.stale and (book.snapshots > 1 or not display):
            # a display book's first snapshot is no news (it was never reported stale)
            self.on_state(stream, "up", "resynced from snapshot")

    def _after_display(self, symbol: str) -> None:
        """Nothing is sorted here: a reader asks for the levels (:meth:`display_levels`). Counted
        under the lock: the feed's thread and the watchdog's (marking a silent book stale) both
        come here, and a lost count would let a reader keep the levels from before the change."""
        with self._lock:
            self._display_changes[symbol] += 1
        self.store.depth_changed()

    def _ask(self, stream: str, symbol: str) -> None:
        """Ask for a fresh snapshot, once per stream until one arrives."""
        with self._lock:
            if stream in self._asked:
                return
            self._asked.add(stream)
        try:
            self.resubscribe(symbol)
        except Exception:  # the watchdog's silence check asks again; the feed thread goes on
            log.exception("asking for a fresh %s book failed", symbol)
            with self._lock:
                self._asked.discard(stream)

    def _publish(self, symbol: str) -> None:
        with self._lock:
            view = self.books[symbol].view(self.depth)
            self._dirty.discard(symbol)
        self.store.put_book(view)

    def display_levels(self, symbol: str) -> DepthLevels | None:
        """``symbol``'s display book as floats, best first (None without one): sorted when a
        reader asks and the book changed since the last read, else the same levels again."""
        book = self.display.get(symbol)
        if book is None:
            return None
        with self._lock:
            changes = self._display_changes[symbol]
            kept = self._display_levels.get(symbol)
            if kept is not None and kept[0] == changes:
                return kept[1]
            if book.stale:
                levels = DepthLevels(symbol, (), (), book.update_id, book.ts_ms, stale=True)
            else:
                bids, asks = book.top(self.display_depth)
                levels = DepthLevels(symbol, bids, asks, book.update_id, book.ts_ms)
            self._display_levels[symbol] = (changes, levels)
        return levels

    # --- watchdog --------------------------------------------------------------------------------
    def check(self) -> None:
        """Publish books changed since their last publication; mark silent books stale."""
        now_ms = self._now_ms()
        for symbol in self.symbols:
            if symbol in self._dirty:
                self._publish(symbol)
            self._check_silence(self.books[symbol], self._last_msg_ms.get(symbol), now_ms)
            display = self.display.get(symbol)
            if display is not None:
                self._check_silence(display, self._display_msg_ms.get(symbol), now_ms)

    def _check_silence(self, book: OrderBook, last: int | None, now_ms: int) -> None:
        """Mark ``book`` stale when it heard nothing for ``stale_after_s`` (and ask again)."""
        if last is None or now_ms - last <= int(self.stale_after_s * 1000) or book.stale:
            return
        stream = self._stream(book)
        with self._lock:
            book.mark_stale(f"no book update for {(now_ms - last) / 1000:.1f}s")
            self._asked.discard(stream)  # a silent book may have lost its request: ask again
        if self._is_display(book):
            self._after_display(book.symbol)
        else:
            self._publish(book.symbol)
        self.on_state(stream, "stale", book.stale_reason)
        self._ask(stream, book.symbol)

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
