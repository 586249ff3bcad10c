"""The engine's side of a venue's streams: a :class:`~core.venues.base.FeedSink`.

A venue's feeds call the sink on their own threads with domain events. Market data is stored
there and then (the :class:`~core.store.MarketStore` and the :class:`~core.market.books.BookKeeper`
are thread-safe and never block); account events (orders, fills, positions, balances) and stream
states are handed to the engine's loop with ``call_soon_threadsafe`` (``call_soon`` when the feed
calls on the loop's own thread, as the in-process venue does) and applied there, one by one, in
the order they arrived (one that fails is logged and the next goes on). Nothing here blocks
the feed thread or raises into it: a handover to a loop that has closed is logged and dropped (the
engine is stopping).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from core.model import Balance, Fill, Order, Position, Ticker, Trade

if TYPE_CHECKING:
    from core.market.books import BookKeeper
    from core.market.candles import Candle
    from core.store import MarketStore
    from core.venues.base import BookDelta, BookSnapshot

log = logging.getLogger(__name__)

BOOK_STREAM = "book:"
"""Prefix of a single book's stream name (``book:BTCUSDT``)."""


class AccountEvents(Protocol):
    """What the engine does with account events and stream states (on its loop)."""

    def apply_order(self, order: Order) -> None:
        """Adopt an order update."""
        ...

    def apply_fill(self, fill: Fill) -> None:
        """Adopt an execution."""
        ...

    def apply_position(self, position: Position) -> None:
        """Adopt a position update."""
        ...

    def apply_balance(self, balance: Balance) -> None:
        """Adopt a wallet update."""
        ...

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        """React to a stream's new state."""
        ...


def _applied(fn: Callable[..., None], *args: object) -> None:
    """Apply one event on the loop; a failure is logged with its traceback and the next event
    goes on (the next REST sync covers what this one would have changed)."""
    try:
        fn(*args)
    except Exception:
        log.exception("feed event %s could not be applied; the next account sync covers it", fn.__name__)


class EngineFeedSink:
    """Stores market events, keeps books, and hands account events to the engine's loop."""

    def __init__(
        self,
        store: MarketStore,
        books: BookKeeper,
        account: AccountEvents,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.store = store
        self.books = books
        self.account = account
        self.loop = loop

    def _to_loop(self, fn: Callable[..., None], *args: object) -> None:
        if asyncio._get_running_loop() is self.loop:  # pushed on the loop's own thread (in-process venue)
            self.loop.call_soon(_applied, fn, *args)  # the same queue, without waking the selector
            return
        try:
            self.loop.call_soon_threadsafe(_applied, fn, *args)
        except RuntimeError:  # the loop has closed: the engine stopped, nobody is left to tell
            log.warning("feed event after the engine stopped dropped: %s", getattr(fn, "__name__", fn))

    # --- market data (stored on the feed thread) ------------------------------------------------
    def book_snapshot(self, book: BookSnapshot) -> None:
        """A whole book: to the book keeper."""
        self.books.snapshot(book)

    def book_delta(self, delta: BookDelta) -> None:
        """Changed levels: to the book keeper (which checks the sequence)."""
        self.books.delta(delta)

    def ticker(self, ticker: Ticker) -> None:
        """The latest ticker: to the store."""
        self.store.put_ticker(ticker)

    def trade(self, trade: Trade) -> None:
        """A public trade: to the store."""
        self.store.put_trades([trade])

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """The current candle: to the store."""
        self.store.put_candle(symbol, timeframe, candle)

    # --- account events (applied on the loop) ---------------------------------------------------
    def order(self, order: Order) -> None:
        """An order update: applied on the loop."""
        self._to_loop(self.account.apply_order, order)

    def fill(self, fill: Fill) -> None:
        """An execution: applied on the loop."""
        self._to_loop(self.account.apply_fill, fill)

    def position(self, position: Position) -> None:
        """A position update: applied on the loop."""
        self._to_loop(self.account.apply_position, position)

    def balance(self, balance: Balance) -> None:
        """A wallet update: applied on the loop."""
        self._to_loop(self.account.apply_balance, balance)

    def connection(self, stream: str, state: str, detail: str) -> None:
        """A stream's state. A book the venue says is stale is marked so here, at once (the keeper
        reports the change); everything else is applied on the loop."""
        if stream.startswith(BOOK_STREAM) and state == "stale":
            self.books.mark_stale(stream[len(BOOK_STREAM) :], detail)
            return
        self.hand_state(stream, state, detail)

    def hand_state(self, stream: str, state: str, detail: str) -> None:
        """Hand a stream state to the engine's loop (the book keeper reports through this too)."""
        self._to_loop(self.account.apply_connection, stream, state, detail)
